/**
 * Instructions per request, counted by valgrind (callgrind): the http-server
 * request driven in process (no sockets) through the variants of one
 * framework, each variant in its own Node process under valgrind. Unlike
 * time, the count does not follow the machine's speed or the other work on
 * it: the same build gives the same count within about 0.2 % run to run,
 * where paired req/s under load moved by 20 % between two runs of one build
 * (profile/load-ab.mjs, issue 19). What it leaves out is what the kernel and
 * the network cost a real server, and how dear an instruction is (a cache
 * miss costs more than an add); read it beside the load scenarios, not
 * instead of them.
 *
 *   node benchmarks/profile/instructions.mjs [--framework fastify|express] [--warm 3000] [--count 3000]
 *                                            [variant[@dir] ...]
 *
 * Variants: `bare`, `otel-span`, `hand-rolled` (the yardstick),
 * `bulwark-memory` (default: all four), `bulwark-memory-without-<part>` (one of
 * `idempotency`, `metrics`, `tenant` left out); `@dir` runs a variant against the
 * build in `dir` (`BULWARK_DIST`), so builds can be compared. Each variant
 * runs twice: `warm` requests then `count` more, and `warm` then twice
 * `count`; the difference of the two counts over `count` is the cost of one
 * request once warm, start-up and JIT warm-up cancelled. V8 runs single
 * threaded with fixed seeds and a predictable GC schedule, which is what
 * makes the count repeatable. Two processes run at a time; each takes about
 * a minute. Needs valgrind (Debian's package `valgrind`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    framework: { type: 'string', default: 'fastify' },
    warm: { type: 'string', default: '3000' },
    count: { type: 'string', default: '3000' },
  },
});
if (spawnSync('valgrind', ['--version']).error) {
  throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
}
const cases = (
  positionals.length > 0 ? positionals : ['bare', 'otel-span', 'hand-rolled', 'bulwark-memory']
).map((spec) => {
  const [variant, dir] = spec.split('@');
  return { spec, variant, dist: dir === undefined ? undefined : resolve(dir) };
});
const child = fileURLToPath(new URL('./instructions-child.mjs', import.meta.url));
const count = Number(values.count);

/** V8 flags that make a run's instruction count repeatable. */
const REPEATABLE = [
  '--single-threaded',
  '--predictable',
  '--predictable-gc-schedule',
  '--random-seed=1',
  '--hash-seed=1',
];

/** Instructions valgrind counted for one child process serving `warm` + `n` requests. */
function instructions(c, n) {
  return new Promise((resolvePromise, reject) => {
    const args = [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      ...REPEATABLE,
      child,
      values.framework,
      c.variant,
      values.warm,
      String(n),
    ];
    const env = { ...process.env };
    if (c.dist !== undefined) env.BULWARK_DIST = c.dist;
    const run = spawn('valgrind', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    run.on('error', reject);
    run.on('close', (code) => {
      const collected = /Collected : (\d+)/.exec(stderr);
      if (code !== 0 || collected === null) {
        reject(new Error(`${c.spec} (${n}) exited ${code}:\n${stderr.slice(-2000)}`));
      } else {
        resolvePromise(Number(collected[1]));
      }
    });
  });
}

/** Runs `jobs` (functions returning promises), `limit` at a time; resolves their results in order. */
async function limited(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

const jobs = cases.flatMap((c) => [() => instructions(c, count), () => instructions(c, 2 * count)]);
const counts = await limited(jobs, Math.max(1, Math.min(2, availableParallelism())));
const perRequest = cases.map((_, i) => (counts[2 * i + 1] - counts[2 * i]) / count);

const lines = [
  `${values.framework}: instructions per request once warm (${values.warm} requests, then ${count} and ${2 * count})`,
  '',
  `| case | instructions / request | ratio to ${cases[0].spec} | extra over ${cases[0].spec} |`,
  '| --- | ---: | ---: | ---: |',
];
cases.forEach((c, i) => {
  const ratio = perRequest[i] / perRequest[0];
  const extra = perRequest[i] - perRequest[0];
  lines.push(
    `| ${c.spec} | ${Math.round(perRequest[i]).toLocaleString('en-US')} | ${ratio.toFixed(3)} | ${Math.round(extra).toLocaleString('en-US')} |`,
  );
});
process.stdout.write(`${lines.join('\n')}\n`);
