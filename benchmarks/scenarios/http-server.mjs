/**
 * Scenario 4: an Express server under load. Each variant runs in its own
 * process on 127.0.0.1; autocannon runs in another, for a bounded duration,
 * visiting the variants in interleaved rounds. Every request is a new
 * `POST /transfers` with a fresh Idempotency-Key. Baseline: bare Express.
 */
import { serverScenario } from '../http/server-scenario.mjs';

await serverScenario({
  id: 'http-server',
  title: 'HTTP server under autocannon',
  description:
    "Each Express variant runs in its own process; autocannon runs in another against 127.0.0.1 for a bounded time per round, the variants visited in interleaved rounds. Every request is a new `POST /transfers` with a JSON body, `X-Tenant-Id` and a fresh `Idempotency-Key`. The OTel variants register an SDK (batch span processor exporting nowhere, metrics aggregated and never exported). The bulwark stack is the span middleware plus `requestMetrics()`, `tenant()`, `express.json()`, `idempotency({ store })` and `errorHandler()`, with the tenant span processor on the SDK. The hand-rolled variant is the least a service could write by hand for the same request (`http/express-hand-rolled.mjs`): the span middleware, the duration histogram, the key scoped by tenant and path and hashed, a SHA-256 body fingerprint, a bounded Map of records (409, 422, replay), and the answer recorded through a wrapped `res.end`; none of bulwark's leases, fencing, tenant context, problem+json, outcome metrics or cardinality guards.",
  framework: 'Express',
  names: { span: 'middleware', stack: 'stack' },
  // What a service would otherwise write by hand (http/express-hand-rolled.mjs).
  yardsticks: [
    { id: 'hand-rolled', label: 'Express + span + hand-rolled idempotency and histogram' },
  ],
});
