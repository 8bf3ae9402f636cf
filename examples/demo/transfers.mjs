/**
 * Who sends money in the demo, and how each logical transfer is made: one new
 * Idempotency-Key per transfer, remembered in `expect.logical` so the report
 * can check it ended with exactly one bank execution.
 */
import { randomUUID } from 'node:crypto';

/** Who sends money in the demo. */
export const TENANTS = Object.freeze([
  { tenantId: 'acme-bank', jurisdiction: 'DE', currency: 'EUR' },
  { tenantId: 'globex', jurisdiction: 'US-NY', currency: 'USD' },
  { tenantId: 'initech', jurisdiction: 'GB', currency: 'GBP' },
  { tenantId: 'umbrella', jurisdiction: 'FR', currency: 'EUR' },
  { tenantId: 'stark-sg', jurisdiction: 'SG', currency: 'SGD' },
]);

/** This run's keys start with it, so two demos against one bank never share a key. */
export const RUN = randomUUID().slice(0, 8);
let sequence = 0;

/**
 * A new logical transfer for `tenant`, remembered in `expect.logical`.
 * @param {import('./workload.mjs').Expectations} expect
 * @param {(typeof TENANTS)[number]} tenant
 * @param {string} phase
 * @returns {import('./client.mjs').TransferRequest}
 */
export function newTransfer(expect, tenant, phase) {
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
