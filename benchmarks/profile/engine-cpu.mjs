/**
 * CPU time of one idempotent execution (storage key + `engine.execute` over a
 * default MemoryStore, full and evicting after the warm-up), for two builds:
 * `BULWARK_BEFORE` (a saved dist/) and the current dist/. Each sample is its
 * own process (no GC debt shared between builds), the builds alternate, and
 * the time is `process.cpuUsage()` (user + system), which another process on
 * a busy machine does not inflate the way it inflates wall time.
 *
 * With `store` as the second argument, the store alone: claim + complete on a
 * default MemoryStore (the loop of `scenarios/idempotency-stores.mjs`).
 *
 *   BULWARK_BEFORE=.tmp/dist-before node benchmarks/profile/engine-cpu.mjs [samples=7] [engine|store]
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const OPERATIONS = 60_000;

if (process.argv[2] === '--child') {
  const [dir, subject] = process.argv.slice(3);
  const root = await import(pathToFileURL(`${dir}/index.js`).href);
  const idem = await import(pathToFileURL(`${dir}/idempotency/index.js`).href);
  const engine = idem.createIdempotencyEngine({ store: new root.MemoryStore() });
  const response = { status: 201, headers: {}, body: new TextEncoder().encode('{"id":"tr_1"}') };
  // Both builds: `store` before the rename, `record` after.
  const operation = async () => ({ response, store: true, record: true });
  let n = 0;
  const store = new root.MemoryStore();
  const fingerprint = 'f'.repeat(64);
  const storeOnly = async (count) => {
    for (let i = 0; i < count; i++) {
      const key = (n++).toString(16).padStart(64, '0');
      const ownerToken = `owner-${n}`;
      await store.claim({ key, fingerprint, ownerToken, leaseMs: 30_000 });
      await store.complete({ key, ownerToken, response, retentionMs: 120_000 });
    }
  };
  const viaEngine = async (count) => {
    for (let i = 0; i < count; i++) {
      const clientKey = `k-${n++}`;
      const key = idem.idempotencyStorageKey({ method: 'POST', route: '/t', clientKey });
      await engine.execute({ key, fingerprint: 'f' }, operation);
    }
  };
  const run = subject === 'store' ? storeOnly : viaEngine;
  await run(OPERATIONS / 2); // warm-up; fills the store past maxEntries
  const start = process.cpuUsage();
  await run(OPERATIONS);
  const used = process.cpuUsage(start);
  process.stdout.write(`${(used.user + used.system) / OPERATIONS}\n`);
} else {
  const samples = Number(process.argv[2] ?? 7);
  const subject = process.argv[3] ?? 'engine';
  const builds = {
    before: resolve(process.env.BULWARK_BEFORE ?? '.tmp/dist-before'),
    after: fileURLToPath(new URL('../../dist', import.meta.url)),
  };
  const times = { before: [], after: [] };
  const self = fileURLToPath(import.meta.url);
  for (let i = 0; i < samples; i++) {
    for (const [name, dir] of Object.entries(builds)) {
      times[name].push(
        Number(
          execFileSync(process.execPath, [self, '--child', dir, subject], { encoding: 'utf8' }),
        ),
      );
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [name, values] of Object.entries(times)) {
    console.log(
      `${name}: median ${median(values).toFixed(2)} µs CPU per ${subject === 'store' ? 'claim + complete' : 'execution'} [${values.map((v) => v.toFixed(2)).join(' ')}]`,
    );
  }
  console.log(`after / before: ${(median(times.after) / median(times.before)).toFixed(2)}`);
}
