/**
 * Scenario 2c: the metric cardinality guard's cost per recording. Both cases
 * record on a real SDK counter (aggregated, never exported); the candidate
 * passes the tenant id through `createTenantGuard` first. Two tenant mixes:
 * within the guard's limit (pure lookup cost) and ten times over it (ids
 * folded into `other`, which also shrinks the number of series).
 */
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';
import { meterProvider } from '../otel-sdk.mjs';

const MAX_TENANTS = 100;

/** Tries `bulwark/otel` (the guard's public home), then the root entry. */
async function loadGuard() {
  const fromOtel = await requireExports('otel', ['createTenantGuard']);
  if (fromOtel.ok) return fromOtel;
  const fromRoot = await requireExports('', ['createTenantGuard']);
  return fromRoot.ok ? fromRoot : fromOtel;
}

function tenantIds(count) {
  return Array.from({ length: count }, (_, i) => `tenant-${i}`);
}

async function measureMix(bulwark, tenantCount) {
  const meter = meterProvider().getMeter('bench');
  const plain = meter.createCounter('bench.plain');
  const guarded = meter.createCounter('bench.guarded');
  const guard = bulwark.ok && bulwark.exports.createTenantGuard({ maxTenants: MAX_TENANTS });
  const ids = tenantIds(tenantCount);
  let a = 0;
  let b = 0;
  return compareTime({
    id: `tenant-guard-${tenantCount}`,
    title: `One counter recording, ${tenantCount} tenants cycling, guard keeps ${MAX_TENANTS}`,
    cases: [
      {
        id: 'plain',
        label: 'SDK counter.add with the raw tenant id',
        fn: () => plain.add(1, { 'tenant.id': ids[a++ % tenantCount] }),
      },
      {
        id: 'guarded',
        label: 'bulwark createTenantGuard(id), then the same counter.add',
        fn: guard && (() => guarded.add(1, { 'tenant.id': guard(ids[b++ % tenantCount]) })),
        reason: bulwark.reason,
      },
    ],
  });
}

await scenario(
  {
    id: 'tenant-guard',
    title: 'Metric cardinality guard per recording',
    description:
      'One recording on a real SDK counter (aggregated in memory), with the raw tenant id or with the id passed through `createTenantGuard({ maxTenants: 100 })` first. Within the limit the guard is a Set lookup; beyond it, ids fold into `other`.',
  },
  async () => {
    const bulwark = await loadGuard();
    return { groups: [await measureMix(bulwark, 50), await measureMix(bulwark, 1000)] };
  },
);
