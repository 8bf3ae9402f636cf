/**
 * The memory check: 1,000,000 `resilient()` calls spread over 10,000 tenant
 * keys and 1,000 downstream hosts must leave the heap bounded. Heap is read
 * after a forced GC (run with --expose-gc) before the calls, half-way and at
 * the end: a bounded library adds about nothing in the second half. Each
 * call runs in `withTenant` (bulkhead keyed per tenant) with `key: host`
 * (breaker and retry budget keyed per host).
 */
import { log, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';

const CALLS = 1_000_000;
const TENANTS = 10_000;
const HOSTS = 1_000;
const MiB = 2 ** 20;

function heapAfterGc() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

await scenario(
  {
    id: 'memory',
    title: 'Memory: 1,000,000 resilient() calls',
    description:
      '1,000,000 `resilient()` calls, each inside `withTenant` for one of 10,000 tenants (bulkhead keyed per tenant) with `key` set to one of 1,000 hosts (breaker and retry budget keyed per host). Heap used after a forced GC, before, half-way and after.',
  },
  async () => {
    if (typeof globalThis.gc !== 'function') return { skipped: 'run with --expose-gc' };
    const bulwark = await requireExports('', ['resilient', 'withTenant', 'keyByTenant']);
    if (!bulwark.ok) return { skipped: bulwark.reason };
    const { resilient, withTenant, keyByTenant } = bulwark.exports;
    // A bulkhead per tenant and (by the execute key) a breaker and retry budget per host:
    // the keyed state the library must keep bounded.
    const policy = resilient('bench-memory', { bulkhead: { keyBy: keyByTenant } });
    const tenants = Array.from({ length: TENANTS }, (_, i) => ({ tenantId: `tenant-${i}` }));
    const work = async () => 42;
    const run = async (from, to) => {
      for (let i = from; i < to; i++) {
        const host = `host-${i % HOSTS}.bank.example`;
        await withTenant(tenants[i % TENANTS], () => policy.execute(work, { key: host }));
      }
    };
    const before = heapAfterGc();
    const started = performance.now();
    await run(0, CALLS / 2);
    const half = heapAfterGc();
    await run(CALLS / 2, CALLS);
    const after = heapAfterGc();
    const seconds = (performance.now() - started) / 1000;
    const facts = [
      { label: 'calls / tenants / hosts', value: `${CALLS} / ${TENANTS} / ${HOSTS}` },
      { label: 'heap before (after GC)', value: `${(before / MiB).toFixed(1)} MiB` },
      { label: 'heap after 500,000 calls (after GC)', value: `${(half / MiB).toFixed(1)} MiB` },
      { label: 'heap after 1,000,000 calls (after GC)', value: `${(after / MiB).toFixed(1)} MiB` },
      { label: 'growth, whole run', value: `${((after - before) / MiB).toFixed(2)} MiB` },
      { label: 'growth, second half', value: `${((after - half) / MiB).toFixed(2)} MiB` },
      { label: 'time for 1,000,000 calls', value: `${seconds.toFixed(1)} s` },
    ];
    for (const f of facts) log(`  ${f.label.padEnd(40)} ${f.value}`);
    return { facts, heap: { before, half, after } };
  },
);
