import { AsyncResource } from 'node:async_hooks';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import {
  decideTenant,
  resolveTenantOptions,
  type TenantDecision,
  type TenantOptions,
} from '../http/tenant-resolution.js';
import { enterTenant } from '../tenant/context.js';
import { sendAnswer } from './reply-answer.js';
import { setTenant, takeTenantScope } from './request-slots.js';

/*
 * Tenant context on Fastify. `onRequest` resolves the tenant and continues
 * inside `withTenant`. Fastify then reads the body on the socket's own
 * events, which carry no async context of ours, so the context is captured
 * (an AsyncResource) and re-entered in `preValidation`, the first hook after
 * the body: later hooks, the handler and the reply run inside it.
 */

/** Adds the tenant hooks to `instance` (options validated here, once). */
export function addTenantHooks(
  instance: FastifyInstance,
  options: TenantOptions<FastifyRequest>,
): void {
  const resolved = resolveTenantOptions(options, 'bulwark: tenant');
  instance.addHook('onRequest', function bulwarkTenant(request, reply, done) {
    const decision = decideTenant(resolved, request);
    if (decision instanceof Promise) decision.then((d) => act(d, request, reply, done));
    else act(decision, request, reply, done);
  });
  instance.addHook('preValidation', function bulwarkTenantContext(request, _reply, done) {
    const scope = takeTenantScope(request);
    if (scope === undefined) return done();
    scope.runInAsyncScope(done);
  });
}

function act(
  decision: TenantDecision,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  switch (decision.kind) {
    case 'enter':
      enterTenant(decision.tenant, () => {
        setTenant(request, decision.tenant, new AsyncResource('bulwark.tenant'));
        done();
      });
      return;
    case 'pass':
      done();
      return;
    case 'refuse':
      sendAnswer(reply, decision.answer);
      return;
    case 'fail':
      done(decision.error as Error);
  }
}
