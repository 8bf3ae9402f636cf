/**
 * Scenario 2a: the cost of carrying the tenant. `withTenant` + `getTenant`
 * against what a service would hand-roll: its own AsyncLocalStorage. No OTel
 * SDK is registered here (bulwark's own fallback storage carries the tenant);
 * tenant-spans.mjs repeats the measurement with an SDK registered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';

/** The tenant of every call: all three fields, so validation runs in full. */
const TENANT = { tenantId: 'acme-payments', jurisdiction: 'de', transactionType: 'payout' };

await scenario(
  {
    id: 'tenant-context',
    title: 'Tenant context: withTenant + getTenant',
    description:
      'Running a function inside a tenant and reading the tenant back, without an OTel SDK (bulwark falls back to its own AsyncLocalStorage). Baseline: what a service would hand-roll, an AsyncLocalStorage of its own; bulwark additionally validates and freezes the tenant on every call.',
  },
  async () => {
    const bulwark = await requireExports('', ['withTenant', 'getTenant']);
    const storage = new AsyncLocalStorage();
    const frozen = Object.freeze({ ...TENANT });
    const syncGroup = await compareTime({
      id: 'tenant-context-sync',
      title: 'Run a function with a tenant and read it back (sync, no SDK)',
      cases: [
        {
          id: 'als',
          label: 'hand-rolled AsyncLocalStorage.run + getStore',
          fn: () => storage.run(frozen, () => storage.getStore()),
        },
        {
          id: 'bulwark',
          label: 'bulwark withTenant + getTenant',
          fn: bulwark.ok && (() => bulwark.exports.withTenant(TENANT, bulwark.exports.getTenant)),
          reason: bulwark.reason,
        },
      ],
    });
    const asyncGroup = await compareTime({
      id: 'tenant-context-async',
      title: 'Same, across an await (async, no SDK)',
      cases: [
        {
          id: 'als',
          label: 'hand-rolled AsyncLocalStorage.run + getStore',
          fn: () =>
            storage.run(frozen, async () => {
              await undefined;
              return storage.getStore();
            }),
        },
        {
          id: 'bulwark',
          label: 'bulwark withTenant + getTenant',
          fn:
            bulwark.ok &&
            (() =>
              bulwark.exports.withTenant(TENANT, async () => {
                await undefined;
                return bulwark.exports.getTenant();
              })),
          reason: bulwark.reason,
        },
      ],
    });
    return { groups: [syncGroup, asyncGroup] };
  },
);
