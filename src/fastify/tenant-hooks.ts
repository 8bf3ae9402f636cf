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
import { enterTenant, getTenant } from '../tenant/context.js';
import { sendAnswer } from './reply-answer.js';
import { setTenant, tenantOf } from './request-slots.js';

/*
 * Tenant context on Fastify. `onRequest` resolves the tenant and continues
 * inside `withTenant`. Fastify reads the body on the socket's own events and
 * then goes on in the async context the request had when its body parser
 * started (its own `AsyncResource`, 'content-type-parser:run'): inside the
 * tenant, so later hooks, the handler and the reply run inside it with no
 * capture of ours. `preValidation`, the first hook after the body, only
 * checks: a hook that lost the context (one continuing from a callback that
 * carries none) gets the tenant entered again. No AsyncResource of our own
 * per request: each costs every AsyncLocalStorage of the process, and the
 * parser's restores what later hooks entered, where ours would drop it
 * (scenario `http-server-fastify`, `benchmarks/profile/fastify-in-process.mjs --count`).
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
    const tenant = tenantOf(request);
    if (tenant === undefined || getTenant() === tenant) return done();
    enterTenant(tenant, done);
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
      setTenant(request, decision.tenant);
      enterTenant(decision.tenant, done);
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
