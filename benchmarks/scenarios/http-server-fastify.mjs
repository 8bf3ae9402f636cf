/**
 * Scenario 4b: a Fastify server under load, the same load as `http-server`
 * (Express). Each variant runs in its own process on 127.0.0.1; autocannon
 * runs in another, for a bounded duration, visiting the variants in
 * interleaved rounds. Every request is a new `POST /transfers` with a fresh
 * Idempotency-Key. Baseline: bare Fastify.
 */
import { serverScenario } from '../http/server-scenario.mjs';

await serverScenario({
  id: 'http-server-fastify',
  title: 'HTTP server under autocannon (Fastify)',
  description:
    "The load of `http-server`, on Fastify 5: each variant runs in its own process; autocannon runs in another against 127.0.0.1 for a bounded time per round, the variants visited in interleaved rounds. Every request is a new `POST /transfers` with a JSON body, `X-Tenant-Id` and a fresh `Idempotency-Key`. The OTel variants register an SDK (batch span processor exporting nowhere, metrics aggregated and never exported). The bulwark variants are the span hooks plus the `bulwark` plugin (tenant, metrics, idempotency over the store, problem+json errors), with the tenant span processor on the SDK. The hand-rolled variant is the least a service could write by hand for the same request (`http/fastify-hand-rolled.mjs`): the span hooks, the key scoped by tenant and route and hashed, a SHA-256 body fingerprint, a bounded Map of records (409, 422, replay), the answer recorded in `onSend`, and the duration histogram; none of bulwark's leases, fencing, tenant context, problem+json, outcome metrics or cardinality guards.",
  framework: 'Fastify',
  names: { span: 'hooks', stack: 'plugin' },
  scriptFile: './fastify-server.mjs',
  titlePrefix: 'Fastify: ',
  // What a service would otherwise write by hand (http/fastify-hand-rolled.mjs).
  yardsticks: [
    { id: 'hand-rolled', label: 'Fastify + span + hand-rolled idempotency and histogram' },
  ],
});
