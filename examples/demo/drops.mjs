/**
 * The drops phase: for a while the bank executes (or replays) every payment
 * and then drops the connection without answering. The service's retries all
 * end without an answer, five failures in a row open its breaker, and the
 * transfers in flight are answered 503 + Retry-After: idempotency() records no
 * 5xx, so each key is released. The clients retry with the same keys; once the
 * bank answers again and the breaker closes, each re-run sends the identical
 * payment under the same key and the bank replays what it executed.
 */
import { keysSince } from './phase-money.mjs';
import { inPool } from './pool.mjs';
import { newTransfer, TENANTS } from './transfers.mjs';

/** The phase's name, on every exchange it sends. */
export const DROPS_PHASE = 'drops, breaker opens';

/** How long the bank drops every answer: past one break of the demo's breaker (2 s). */
const DROP_MS = 2500;

/**
 * Two transfers from every tenant, five at a time, while the bank drops answers.
 * @param {import('./workload.mjs').WorkloadDeps} deps
 * @param {import('./workload.mjs').Expectations} expect
 */
export async function dropsWhileTheBreakerOpens({ bank, client, setPhase, elapsedMs }, expect) {
  setPhase(DROPS_PHASE);
  const requests = [...TENANTS, ...TENANTS].map((tenant) =>
    newTransfer(expect, tenant, DROPS_PHASE),
  );
  const keysBefore = new Set(Object.keys(bank.stats().keys));
  expect.drops.startedAtMs = elapsedMs();
  expect.drops.endedAtMs = expect.drops.startedAtMs + DROP_MS;
  bank.control({ mode: 'drop', forMs: DROP_MS });
  await inPool(requests, 5, async (request) => {
    await client.submit(request);
  });
  expect.drops.bankKeys = keysSince(bank.stats(), keysBefore);
}
