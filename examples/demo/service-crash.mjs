/**
 * The service-crash phase: a transfer from every tenant reaches the bank, the
 * bank executes each one and holds its answer, and the service process is
 * SIGKILLed right then (money moved, no outcome recorded anywhere), then
 * started again on the same port. The clients keep retrying with their keys;
 * the restarted process (with an empty memory store: nothing survived) runs
 * each transfer again, under the same operation id, so it sends the bank the
 * identical payment under the same key, and the bank replays the first
 * result: every client ends with a 201 carrying the transfer id the bank
 * executed before the crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { keysSince } from './phase-money.mjs';
import { newTransfer, TENANTS } from './transfers.mjs';

/** The phase's name, on every exchange it sends. */
export const CRASH_PHASE = 'service crash';

/**
 * @typedef {object} CrashRecord
 * @property {number} transfers logical transfers in flight at the kill
 * @property {{ key: string, transferId: string | undefined }[]} executedBeforeKill what the bank
 *   had executed for them when the service was killed: its key and the transfer id it carried
 * @property {number} answeredBeforeKill 201s the clients had received by then (0: mid-payment)
 * @property {number} killedAtMs
 * @property {number} restartedAtMs when the new process listened
 * @property {string[]} bankKeys the bank keys first seen during the phase
 */

/** How long the bank holds each answer: longer than the kill and the restart take. */
const HOLD_MS = 10_000;
/** How long to wait for the bank to execute every transfer before the kill. */
const EXECUTE_WITHIN_MS = 5000;

/**
 * @param {import('./workload.mjs').WorkloadDeps} deps
 * @param {import('./workload.mjs').Expectations} expect
 */
export async function serviceCrash(deps, expect) {
  const { bank, client, setPhase, elapsedMs, restartService } = deps;
  setPhase(CRASH_PHASE);
  const requests = TENANTS.map((tenant) => newTransfer(expect, tenant, CRASH_PHASE));
  const keysBefore = new Set(Object.keys(bank.stats().keys));
  const executionsBefore = bank.stats().executions;
  bank.control({ mode: 'slow', count: requests.length, delayMs: HOLD_MS });
  const submissions = requests.map((request) => client.submit(request));

  const deadline = performance.now() + EXECUTE_WITHIN_MS;
  while (bank.stats().executions < executionsBefore + requests.length) {
    if (performance.now() > deadline) break; // the invariants will say what was missing
    await sleep(5);
  }
  const stats = bank.stats();
  expect.crash.transfers = requests.length;
  expect.crash.executedBeforeKill = Object.entries(stats.keys)
    .filter(([key, record]) => !keysBefore.has(key) && record.executions > 0)
    .map(([key, record]) => ({ key, transferId: record.transferId }));
  expect.crash.answeredBeforeKill = client.exchanges.filter(
    (e) => e.phase === CRASH_PHASE && e.status === 201,
  ).length;
  expect.crash.killedAtMs = elapsedMs();
  await restartService();
  expect.crash.restartedAtMs = elapsedMs();
  bank.control({ mode: 'healthy' });
  await Promise.all(submissions);
  expect.crash.bankKeys = keysSince(bank.stats(), keysBefore);
}
