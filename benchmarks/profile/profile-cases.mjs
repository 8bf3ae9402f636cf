/**
 * `--alloc`, `--profile`, `--gc` and `--count` of the in-process scripts
 * (`in-process.mjs`, `fastify-in-process.mjs`), one dispatch for both:
 * {@link runDiagnosticMode}. `--alloc` prints bytes allocated per request by
 * area and by bulwark function (V8's sampling heap profiler). `--profile` runs each
 * case under V8's CPU profiler (50 µs sampling) and prints self µs per request
 * by area and the top bulwark functions, so a change's cost lands on a named
 * function; `--gc` prints collections and GC time per request by kind
 * (scavenge, mark-compact), which tells garbage from records kept alive;
 * `--count` prints the async resources a request creates.
 */
import { createHook } from 'node:async_hooks';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { allocationPerRequest } from './alloc-profile.mjs';
import { summariseProfile } from './summarise-profile.mjs';

/**
 * Runs the diagnostic mode `values` names (`alloc`, `profile`, `count`, `gc`)
 * over `cases` and returns true, or returns false when none is set (the
 * caller then times its paired rounds).
 * @param serve `(c, n, concurrency)` serves `n` requests through case `c`
 * @param count requests per case (`--requests`); the modes scale it as they need
 */
export async function runDiagnosticMode(values, cases, serve, count, concurrency) {
  if (values.alloc) {
    for (const c of cases) {
      const report = await allocationPerRequest(() => serve(c, count, concurrency), count);
      process.stdout.write(`\n## ${c.id}\n${report}`);
    }
  } else if (values.profile) {
    await profileCases(cases, (c, n) => serve(c, n, concurrency), count * 5);
  } else if (values.count) {
    await asyncResourcesPerRequest(cases, (c, n) => serve(c, n, 1), count);
  } else if (values.gc) {
    await gcPerRequest(cases, (c, n) => serve(c, n, concurrency), count * 10);
  } else {
    return false;
  }
  return true;
}

/**
 * Profiles `run(c, n)` for every case and prints its summary.
 * @param cases objects with an `id`
 * @param run serves `n` requests through one case
 * @param n requests per profile
 */
export async function profileCases(cases, run, n) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  for (const c of cases) {
    await session.post('Profiler.start');
    await run(c, n);
    const { profile } = await session.post('Profiler.stop');
    const summary = summariseProfile(profile, n);
    process.stdout.write(`\n## ${c.id}: ${summary.totalUs.toFixed(1)} µs/req sampled\n`);
    for (const [area, us] of [...summary.areas].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
      process.stdout.write(`| ${area} | ${us.toFixed(2)} |\n`);
    }
    const top = [...summary.functions]
      .filter(([k]) => k.startsWith('bulwark'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 40);
    for (const [fn, us] of top) process.stdout.write(`| ${fn} | ${us.toFixed(2)} |\n`);
  }
  session.disconnect();
}

/**
 * Counts GC events per kind while `run(c, n)` serves `n` requests through
 * each case, and prints them per 1,000 requests and µs per request.
 * Kinds are `PerformanceEntry` GC kinds: 1 minor (scavenge), 2 major
 * (mark-compact), 4 incremental, 8 weak callbacks.
 */
export async function gcPerRequest(cases, run, n) {
  for (const c of cases) {
    const seen = new Map();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = entry.detail?.kind ?? entry.kind;
        const sum = seen.get(kind) ?? { count: 0, ms: 0 };
        sum.count++;
        sum.ms += entry.duration;
        seen.set(kind, sum);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    await run(c, n);
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    const row = [...seen].map(
      ([kind, sum]) =>
        `kind${kind}: ${((sum.count * 1000) / n).toFixed(2)}/1k req, ${((sum.ms * 1000) / n).toFixed(2)} µs/req`,
    );
    process.stdout.write(`${c.id}: ${row.join('; ')}\n`);
  }
}

/**
 * Deterministic, whatever the machine's load: the async resources (promises,
 * ticks, timers) one request creates, by type, while `run(c, n)` serves `n`
 * requests one at a time; on Node 22 each costs every AsyncLocalStorage in use.
 */
export async function asyncResourcesPerRequest(cases, run, n) {
  let counts = new Map();
  const hook = createHook({
    init(_id, type) {
      counts.set(type, (counts.get(type) ?? 0) + 1);
    },
  });
  process.stdout.write('| case | async resources per request, by type |\n| --- | --- |\n');
  for (const c of cases) {
    counts = new Map();
    hook.enable();
    await run(c, n);
    hook.disable();
    const perRequest = [...counts].map(([type, k]) => `${type} ${(k / n).toFixed(1)}`);
    process.stdout.write(`| ${c.id} | ${perRequest.join(', ')} |\n`);
  }
}
