/**
 * The scripted workload: several tenants in several jurisdictions send
 * transfers while the bank misbehaves in turn (503 bursts, connections reset
 * after the money moved, slow answers, a full outage). Each phase adds what
 * the report must check to `expect`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { badInput } from './bad-input.mjs';
import { inPool } from './pool.mjs';

/** Who sends money in the demo. */
export const TENANTS = Object.freeze([
  { tenantId: 'acme-bank', jurisdiction: 'DE', currency: 'EUR' },
  { tenantId: 'globex', jurisdiction: 'US-NY', currency: 'USD' },
  { tenantId: 'initech', jurisdiction: 'GB', currency: 'GBP' },
  { tenantId: 'umbrella', jurisdiction: 'FR', currency: 'EUR' },
  { tenantId: 'stark-sg', jurisdiction: 'SG', currency: 'SGD' },
]);

/**
 * @typedef {object} Expectations
 * @property {Map<string, { tenantId: string, key: string }>} logical every logical transfer sent,
 *   by `tenantId key`: each must end with exactly one bank execution
 * @property {{ tenantId: string, key: string }[]} mismatches keys reused with another body: 422
 * @property {number} duplicateSubmissions sequential re-sends of a finished transfer
 * @property {{ hitsBefore: number, hitsAfter: number, statuses: number[] }} badInput
 * @property {{ startedAtMs: number, endedAtMs: number }} outage when the bank was down
 */

/**
 * @typedef {object} WorkloadDeps
 * @property {ReturnType<typeof import('./client.mjs').createClient>} client
 * @property {import('../bank-simulator/bank.mjs').Bank} bank
 * @property {(phase: string) => void} setPhase
 * @property {() => number} elapsedMs since the demo started
 */

const RUN = randomUUID().slice(0, 8);
let sequence = 0;

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
  };
  await turbulence(deps, expect);
  await concurrentRetries(deps, expect);
  await reusedKeys(deps, expect);
  await badInput(deps, expect, `demo-${RUN}-bad`);
  await outage(deps, expect);
  deps.setPhase('healed');
  deps.bank.control({ mode: 'healthy' });
  await steady(deps, expect, 'healed', 2);
  return expect;
}

/** A new logical transfer for `tenant`, remembered in `expect.logical`. */
function newTransfer(
  /** @type {Expectations} */ expect,
  /** @type {(typeof TENANTS)[number]} */ tenant,
  /** @type {string} */ phase,
) {
  sequence += 1;
  const key = `demo-${RUN}-${String(sequence).padStart(4, '0')}`;
  expect.logical.set(`${tenant.tenantId} ${key}`, { tenantId: tenant.tenantId, key });
  return {
    phase,
    tenantId: tenant.tenantId,
    jurisdiction: tenant.jurisdiction,
    key,
    transfer: {
      amount: 100 + ((sequence * 7919) % 90_000),
      currency: tenant.currency,
      from: `${tenant.tenantId}-ops-${sequence % 3}`,
      to: `supplier-${sequence}`,
    },
  };
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
  deps.setPhase('resets after execution');
  deps.bank.control({ mode: 'reset', count: 4, afterExecute: true });
  await steady(deps, expect, 'resets after execution', 3);
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
