/**
 * The scripted workload: several tenants in several jurisdictions send
 * transfers while the service crashes mid-payment and the bank misbehaves in
 * turn (503 bursts, connections dropped after the money moved, slow answers,
 * answers dropped until the breaker opens, a full outage). Each phase adds
 * what the report must check to `expect`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { badInput } from './bad-input.mjs';
import { dropsWhileTheBreakerOpens } from './drops.mjs';
import { inPool } from './pool.mjs';
import { serviceCrash } from './service-crash.mjs';
import { newTransfer, RUN, TENANTS } from './transfers.mjs';

/**
 * @typedef {object} Expectations
 * @property {Map<string, { tenantId: string, key: string }>} logical every logical transfer sent,
 *   by `tenantId key`: each must end with exactly one bank execution
 * @property {{ tenantId: string, key: string }[]} mismatches keys reused with another body: 422
 * @property {number} duplicateSubmissions sequential re-sends of a finished transfer
 * @property {{ hitsBefore: number, hitsAfter: number, statuses: number[] }} badInput
 * @property {{ startedAtMs: number, endedAtMs: number }} outage when the bank was down
 * @property {import('./service-crash.mjs').CrashRecord} crash what the service crash left behind
 * @property {{ startedAtMs: number, endedAtMs: number, bankKeys: string[] }} drops when the bank
 *   dropped every answer, and the bank keys first seen meanwhile
 */

/**
 * @typedef {object} WorkloadDeps
 * @property {ReturnType<typeof import('./client.mjs').createClient>} client
 * @property {import('../bank-simulator/bank.mjs').Bank} bank
 * @property {(phase: string) => void} setPhase
 * @property {() => number} elapsedMs since the demo started
 * @property {() => Promise<void>} restartService SIGKILLs the service (a crash: nothing drained,
 *   nothing recorded) and starts it again on the same port
 */

/**
 * Runs every phase in order.
 * @param {WorkloadDeps} deps
 * @returns {Promise<Expectations>}
 */
export async function runWorkload(deps) {
  /** @type {Expectations} */
  const expect = {
    logical: new Map(),
    mismatches: [],
    duplicateSubmissions: 0,
    badInput: { hitsBefore: 0, hitsAfter: 0, statuses: [] },
    outage: { startedAtMs: 0, endedAtMs: 0 },
    crash: {
      transfers: 0,
      executedBeforeKill: [],
      answeredBeforeKill: 0,
      killedAtMs: 0,
      restartedAtMs: 0,
      bankKeys: [],
    },
    drops: { startedAtMs: 0, endedAtMs: 0, bankKeys: [] },
  };
  // First, so the restarted process's metrics and SLOs cover the rest of the story.
  await serviceCrash(deps, expect);
  await turbulence(deps, expect);
  await concurrentRetries(deps, expect);
  await reusedKeys(deps, expect);
  await badInput(deps, expect, `demo-${RUN}-bad`);
  await dropsWhileTheBreakerOpens(deps, expect);
  await outage(deps, expect);
  deps.setPhase('healed');
  deps.bank.control({ mode: 'healthy' });
  await steady(deps, expect, 'healed', 2);
  return expect;
}

/**
 * `perTenant` transfers from every tenant, 6 at a time; every third one is
 * submitted again after it finished (a client that lost the answer).
 * @param {WorkloadDeps} deps
 * @param {Expectations} expect
 * @param {string} phase
 * @param {number} perTenant
 */
async function steady({ client }, expect, phase, perTenant) {
  const requests = [];
  for (let i = 0; i < perTenant; i += 1) {
    for (const tenant of TENANTS) requests.push(newTransfer(expect, tenant, phase));
  }
  await inPool(requests, 6, async (request, index) => {
    await client.submit(request);
    if (index % 3 === 0) {
      expect.duplicateSubmissions += 1;
      await client.submit(request);
    }
  });
}

/** @param {WorkloadDeps} deps @param {Expectations} expect */
async function turbulence(deps, expect) {
  deps.setPhase('503 bursts');
  deps.bank.control({ mode: 'burst503', count: 4, retryAfterS: 1 });
  await steady(deps, expect, '503 bursts', 3);
  deps.setPhase('drops after execution');
  deps.bank.control({ mode: 'drop', count: 4 });
  await steady(deps, expect, 'drops after execution', 3);
  deps.setPhase('slow bank');
  deps.bank.control({ mode: 'slow', count: 6, delayMs: 700 });
  await steady(deps, expect, 'slow bank', 3);
  deps.bank.control({ mode: 'healthy' });
}

/** Ten copies of the same request at once, for three keys. @param {WorkloadDeps} deps @param {Expectations} expect */
async function concurrentRetries({ client, setPhase }, expect) {
  setPhase('concurrent retries');
  const requests = TENANTS.slice(0, 3).map((t) => newTransfer(expect, t, 'concurrent retries'));
  await Promise.all(
    requests.flatMap((request) => Array.from({ length: 10 }, () => client.submit(request))),
  );
}

/** A key reused with another body (422), and the same key from another tenant (its own transfer). */
async function reusedKeys(
  /** @type {WorkloadDeps} */ { client, setPhase },
  /** @type {Expectations} */ expect,
) {
  setPhase('reused keys');
  const [first, second] = /** @type {[(typeof TENANTS)[number], (typeof TENANTS)[number]]} */ (
    /** @type {unknown} */ (TENANTS)
  );
  const original = newTransfer(expect, first, 'reused keys');
  await client.submit(original);
  const changed = { ...original, transfer: { ...original.transfer, amount: 1 } };
  await client.submit(changed);
  expect.mismatches.push({ tenantId: first.tenantId, key: original.key });
  // Same key, other tenant: keys are scoped per tenant, so this is a new transfer.
  const otherTenant = { ...original, tenantId: second.tenantId, jurisdiction: second.jurisdiction };
  expect.logical.set(`${second.tenantId} ${original.key}`, {
    tenantId: second.tenantId,
    key: original.key,
  });
  await client.submit(otherTenant);
}

/** The bank goes down for a while; clients keep sending and retrying. */
async function outage(/** @type {WorkloadDeps} */ deps, /** @type {Expectations} */ expect) {
  const outageMs = 6000;
  deps.setPhase('bank outage');
  expect.outage.startedAtMs = deps.elapsedMs();
  deps.bank.control({ mode: 'outage', forMs: outageMs });
  const submissions = [];
  for (let i = 0; i < 30; i += 1) {
    const tenant = /** @type {(typeof TENANTS)[number]} */ (TENANTS[i % TENANTS.length]);
    submissions.push(deps.client.submit(newTransfer(expect, tenant, 'bank outage')));
    await sleep(outageMs / 30);
  }
  expect.outage.endedAtMs = expect.outage.startedAtMs + outageMs;
  deps.setPhase('recovering');
  await Promise.all(submissions);
}
