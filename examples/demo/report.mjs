/**
 * The demo's closing report: what the clients sent and got, what the bank
 * executed, what the breaker did, latency per tenant, the error budget left,
 * and each invariant with ✓ or ✗.
 */
import { fmtSeconds } from './format.mjs';
import { latencyLines } from './latency.mjs';
import { phaseLines } from './phase-checks.mjs';

/**
 * @typedef {object} ReportInput
 * @property {import('./client.mjs').Exchange[]} exchanges
 * @property {import('./workload.mjs').Expectations} expect
 * @property {import('../bank-simulator/bank.mjs').BankStats} bank
 * @property {{ name: string, atMs: number, detail?: string }[]} breaker
 * @property {number} clientRetries
 * @property {number | undefined} serviceRetries retries bulwark/fetch made, from /metrics
 * @property {string[]} budget one line per SLO, from the service's /slo
 * @property {import('./invariants.mjs').Invariant[]} invariants
 * @property {number} elapsedMs
 */

/**
 * @param {ReportInput} input
 * @returns {string}
 */
export function formatReport(input) {
  const { expect, invariants } = input;
  const lines = [
    '',
    `bulwark demo — ${(input.elapsedMs / 1000).toFixed(1)} s`,
    '',
    ...moneyLines(input),
    '',
    ...phaseLines(input),
    '',
    'Circuit breaker (service → bank)',
    ...(input.breaker.length === 0
      ? ['  no transitions observed']
      : input.breaker.map((t) =>
          `  ${fmtSeconds(t.atMs).padStart(8)}  ${t.name.padEnd(9)} ${t.detail ?? ''}`.trimEnd(),
        )),
    `  bank outage window            ${fmtSeconds(expect.outage.startedAtMs)} – ${fmtSeconds(expect.outage.endedAtMs)}`,
    '',
    'Latency per tenant (client-side; a transfer runs from its first send to its first 201)',
    ...latencyLines(input.exchanges),
    '',
    'Error budget (bulwark/slo, from the service)',
    ...(input.budget.length === 0 ? ['  n/a'] : input.budget.map((line) => `  ${line}`)),
    '',
    'Invariants',
    ...invariants.map((i) => `  ${i.ok ? '✓' : '✗'} ${i.name} — ${i.detail}`),
    '',
  ];
  return lines.join('\n');
}

/**
 * Requests against money moved.
 * @param {ReportInput} input
 * @returns {string[]}
 */
function moneyLines({ exchanges, expect, bank, clientRetries, serviceRetries }) {
  const count = (/** @type {(e: import('./client.mjs').Exchange) => boolean} */ p) =>
    exchanges.filter(p).length;
  const statuses = [...countBy(exchanges.map((e) => String(e.status || 'no answer')))]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}×${n}`)
    .join('  ');
  const bankRepeats = Object.values(bank.keys).reduce((sum, k) => sum + Math.max(0, k.hits - 1), 0);
  return [
    'Requests and money',
    `  HTTP requests sent            ${exchanges.length}   (${statuses})`,
    `  logical transfers             ${expect.logical.size} distinct (tenant, key) pairs`,
    `  bank executions               ${bank.executions}   (of ${bank.hits} calls; ${bank.replays} identical re-sends replayed from the bank's record: money moved, answer lost)`,
    `  refused re-sends at the bank  ${bank.refused}   (a key re-sent with another payment, transfer id included: 422)`,
    `  replays (Idempotent-Replayed) ${count((e) => e.replayed)}   (${expect.duplicateSubmissions} deliberate re-submissions + concurrent copies)`,
    `  conflicts                     409 in flight ×${count((e) => e.status === 409)}   422 key reused ×${count((e) => e.status === 422)}`,
    `  retries                       client ${clientRetries} (same key, after 409/503)   service→bank ${serviceRetries ?? 'n/a'}   repeated calls per key at the bank ${bankRepeats}`,
    `  bank faults injected          ${Object.entries(bank.faults.injected)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ')}`,
  ];
}

/** @param {string[]} values */
function countBy(values) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
