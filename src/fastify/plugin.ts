import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { createErrorResponder } from '../http/error-reporting.js';
import { addErrorNotes, errorAfterAnswer, setProblemErrorHandler } from './error-hooks.js';
import { addIdempotencyHooks } from './idempotency-hooks.js';
import { addMetricsHooks } from './metrics-hooks.js';
import { type BulwarkOptions, resolveParts } from './plugin-options.js';
import { declareRequestSlots } from './request-slots.js';
import { addTenantHooks } from './tenant-hooks.js';

/**
 * The bulwark Fastify plugin: tenant context, RED metrics, idempotency keys
 * and problem+json errors, with the contract of `bulwark/express`. It applies
 * to the instance it is registered on (not a child context of its own: it
 * carries Fastify's `skip-override` mark, as `fastify-plugin` would set), so
 * register it first, before routes and other hooks. Options are validated at
 * registration; an invalid one fails `register` with `BULWARK_INVALID_OPTIONS`.
 *
 * @example
 * await app.register(bulwark, { idempotency: { store: new MemoryStore() } });
 * app.post('/transfers', async (req, reply) => reply.code(201).send({ id: 't_1' }));
 */
export const bulwark: FastifyPluginCallback<BulwarkOptions> = Object.assign(
  function bulwarkPlugin(
    instance: FastifyInstance,
    options: BulwarkOptions,
    done: (error?: Error) => void,
  ): void {
    try {
      const parts = resolveParts(options);
      const responder =
        parts.errors === false ? undefined : createErrorResponder(parts.errors, 'bulwark: errors');
      declareRequestSlots(instance);
      // Metrics first: its clock starts before the tenant is resolved.
      if (parts.metrics !== false) addMetricsHooks(instance, parts.metrics);
      if (parts.tenant !== false) addTenantHooks(instance, parts.tenant);
      addErrorNotes(instance);
      if (parts.idempotency !== false) {
        addIdempotencyHooks(instance, parts.idempotency, errorAfterAnswer(responder));
      }
      if (responder !== undefined) setProblemErrorHandler(instance, responder);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  },
  {
    // What fastify-plugin sets, without depending on it: apply to the parent instance.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'bulwark',
    [Symbol.for('plugin-meta')]: { name: 'bulwark', fastify: '5.x' },
  },
);
