/**
 * CPU time per `resilient()` call (defaults, no SDK: the `policy` scenario's
 * loop, one call at a time) for two or more builds, paired. Each sample is
 * its own process per build (no JIT feedback or GC debt shared between
 * builds, no advantage to the build loaded first), the builds alternate, and
 * the time is `process.cpuUsage()`, which another process on a busy machine
 * inflates less than wall time. Name a build twice for an A/A control: its
 * ratio shows what the run can resolve.
 *
 *   node benchmarks/profile/policy-cpu.mjs [--samples 20] [--fail] dir [dir ...]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pairedRatio, summarise } from '../harness.mjs';

const CALLS = 300_000;

if (process.argv[2] === '--child') {
  const [dir, path] = process.argv.slice(3);
  const { resilient } = await import(pathToFileURL(`${dir}/index.js`).href);
  const policy = resilient('bench');
  const declined = Object.assign(new Error('declined'), { status: 402 });
  const task =
    path === 'fail'
      ? async () => {
          throw declined;
        }
      : async () => 42;
  const ignore = () => {};
  for (let i = 0; i < CALLS / 3; i++) await policy.execute(task).catch(ignore);
  const started = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await policy.execute(task).catch(ignore);
  const { user, system } = process.cpuUsage(started);
  process.stdout.write(String(((user + system) * 1000) / CALLS));
  process.exit(0);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    samples: { type: 'string', default: '20' },
    fail: { type: 'boolean', default: false },
  },
});
const self = fileURLToPath(import.meta.url);
const path = values.fail ? 'fail' : 'ok';
const series = positionals.map(() => []);
for (let sample = 0; sample < Number(values.samples); sample++) {
  const order = positionals.map((_, i) => i);
  if (sample % 2 === 1) order.reverse();
  for (const i of order) {
    const out = execFileSync(process.execPath, [self, '--child', positionals[i], path]);
    series[i].push(Number(out));
  }
}
positionals.forEach((dir, i) => {
  const s = summarise(series[i]);
  const r = pairedRatio(series[i], series[0]);
  process.stdout.write(
    `${dir}: ${s.median.toFixed(1)} ns/call CPU (p25 ${s.p25.toFixed(1)}, p75 ${s.p75.toFixed(1)})` +
      (i === 0
        ? '\n'
        : `  vs first ${r.median.toFixed(3)} (${r.p25.toFixed(3)}-${r.p75.toFixed(3)})\n`),
  );
});
