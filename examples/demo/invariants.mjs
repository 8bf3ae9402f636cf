/**
 * What must hold after the demo, checked from three independent views: what
 * the clients received, what the bank executed, and what the service said
 * about itself. The demo exits 0 only if every one holds.
 */
import { phaseInvariants } from './phase-checks.mjs';
import { byTransfer } from './phase-money.mjs';

/**
 * @typedef {object} Evidence
 * @property {import('./client.mjs').Exchange[]} exchanges
 * @property {import('./workload.mjs').Expectations} expect
 * @property {import('../bank-simulator/bank.mjs').BankStats} bank
 * @property {{ name: string, atMs: number }[]} breaker breaker transitions the service logged
 * @property {number | null} exitCode the service's exit code after SIGTERM
 * @property {number} elapsedMs
 */

/** @typedef {{ name: string, ok: boolean, detail: string }} Invariant */

/**
 * @param {Evidence} evidence
 * @returns {Invariant[]}
 */
export function checkInvariants({ exchanges, expect, bank, breaker, exitCode, elapsedMs }) {
  const groups = byTransfer(exchanges);
  const logical = [...expect.logical.keys()];
  const succeeded = logical.filter((id) => groups.get(id)?.some((e) => e.status === 201));
  const notOnce = logical.filter((id) => !executedOnceWithIdenticalReplays(groups.get(id) ?? []));
  const mismatchStatuses = expect.mismatches.map(
    ({ tenantId, key }) =>
      groups.get(`${tenantId} ${key}`)?.find((e) => e.status !== 201 && e.status !== 409)?.status,
  );
  const unexpected = exchanges.filter(
    (e) => e.status >= 500 && !((e.status === 503 || e.status === 504) && e.retryAfterS),
  );
  // The outage's own opening: the drops phase opened the breaker earlier.
  const opened = breaker.find((t) => t.name === 'open' && t.atMs >= expect.outage.startedAtMs);
  const closedAfter = opened && breaker.find((t) => t.name === 'closed' && t.atMs > opened.atMs);
  const badOk = expect.badInput.statuses.every((s) => s >= 400 && s < 500);
  const bankUntouched = expect.badInput.hitsAfter === expect.badInput.hitsBefore;

  return [
    check(
      'every logical transfer ended with 201',
      succeeded.length === logical.length,
      `${succeeded.length} of ${logical.length}`,
    ),
    check(
      'bank executions = distinct successful (tenant, key) pairs',
      bank.executions === succeeded.length,
      `${bank.executions} executions, ${succeeded.length} pairs`,
    ),
    check(
      'each transfer executed once; every duplicate got the identical body as a replay',
      notOnce.length === 0,
      notOnce.length === 0 ? `${logical.length} transfers` : `violated by ${notOnce.join(', ')}`,
    ),
    check(
      'a key reused with another body got 422; the bank never saw a changed payment',
      mismatchStatuses.every((s) => s === 422) && bank.refused === 0,
      `statuses ${mismatchStatuses.join(', ')}; re-sends the bank refused ${bank.refused}`,
    ),
    ...phaseInvariants({ exchanges, expect, bank, breaker }),
    check(
      'bad input got 4xx and never reached the bank',
      badOk && bankUntouched,
      `statuses ${expect.badInput.statuses.join(' ')}; bank hits +${expect.badInput.hitsAfter - expect.badInput.hitsBefore}`,
    ),
    check(
      'no 500s: every 5xx was a 503/504 with Retry-After',
      unexpected.length === 0,
      unexpected.length === 0 ? 'none' : `${unexpected.length} (first: ${unexpected[0]?.status})`,
    ),
    check(
      'the outage opened the breaker and it closed again',
      Boolean(opened && closedAfter),
      breaker.map((t) => `${t.name}@${(t.atMs / 1000).toFixed(1)}s`).join(' ') || 'no transitions',
    ),
    check('the service drained and exited 0 on SIGTERM', exitCode === 0, `exit code ${exitCode}`),
    check('finished in under a minute', elapsedMs < 60_000, `${(elapsedMs / 1000).toFixed(1)} s`),
  ];
}

/**
 * One first answer (201, not replayed); every later 201 a replay with the same body.
 * @param {import('./client.mjs').Exchange[]} list
 */
function executedOnceWithIdenticalReplays(list) {
  const created = list.filter((e) => e.status === 201);
  const first = created.filter((e) => !e.replayed);
  return first.length === 1 && created.every((e) => e.body === first[0]?.body);
}

/**
 * @param {string} name
 * @param {boolean} ok
 * @param {string} detail
 * @returns {Invariant}
 */
function check(name, ok, detail) {
  return { name, ok, detail };
}
