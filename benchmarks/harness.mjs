/**
 * The shared harness: interleaved rounds, statistics over rounds, and the
 * protocol between a scenario process and `run.mjs`.
 *
 * Why interleaved: on a shared 2-core machine the speed of the machine drifts
 * over seconds (other work, CPU frequency, GC of earlier cases). Measuring all
 * of the baseline and then all of the candidate would fold that drift into the
 * ratio. Instead every round measures each case once, in alternating order, and
 * the ratio is taken per round (paired) before its median is reported.
 */
import { writeFileSync } from 'node:fs';
import { measure } from 'mitata';

/** How long each mode runs. `quick` keeps the whole suite under 3 minutes on 2 cores. */
export const MODES = {
  quick: { rounds: 5, roundMs: 150, warmupMs: 150 },
  full: { rounds: 12, roundMs: 500, warmupMs: 1000 },
};

/** The mode this process runs in, from `BENCH_MODE` (set by run.mjs) or `--full`. */
export function currentMode() {
  const name = process.env.BENCH_MODE ?? (process.argv.includes('--full') ? 'full' : 'quick');
  return { name, ...(MODES[name] ?? MODES.quick) };
}

/** The value at quantile `q` (0..1) of `values`, linearly interpolated. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

/** Median and interquartile range of `values`. */
export function summarise(values) {
  return {
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
  };
}

/** Per-round ratios `a[i] / b[i]` of two aligned round series, summarised. */
export function pairedRatio(a, b) {
  const ratios = a.map((value, i) => value / b[i]);
  return summarise(ratios);
}

/** Per-round differences `a[i] - b[i]` of two aligned round series, summarised. */
export function pairedDifference(a, b) {
  return summarise(a.map((value, i) => value - b[i]));
}

/**
 * Runs `cases` in interleaved rounds: round r visits the cases in order when r
 * is even and in reverse when odd, so no case always runs first or last.
 * `measureOne(case)` returns one number per visit (ns/op, req/s, ...).
 * Returns one array of per-round values per case, aligned by round.
 */
export async function interleave(cases, rounds, measureOne) {
  const series = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) series[i].push(await measureOne(cases[i], round));
  }
  return series;
}

/**
 * Turns per-round series into a result group: each row has its median, p25-p75
 * over rounds, and its paired ratio to the baseline (the first case).
 */
export function group({ id, title, unit, better, cases, series, notes, skipped = [] }) {
  const baseline = series[0];
  const rows = cases.map((c, i) => ({
    id: c.id,
    label: c.label,
    ...summarise(series[i]),
    ratio: pairedRatio(series[i], baseline),
    rounds: series[i],
  }));
  return { id, title, unit, better, baseline: cases[0].id, rows, skipped, notes };
}

/** Calls between two turns of the event loop in an async case's measuring loop. */
const CALLS_PER_TURN = 1024;

/**
 * Lets an async case yield to the event loop now and then. A loop of awaits
 * alone runs on microtasks and never reaches the timers phase, so deferred
 * work (timer sweeps, batch exports) would escape the visit that caused it.
 * Sync cases run as one block either way and need no such turns.
 */
async function yieldingCase(c) {
  const probe = c.fn();
  if (!(probe instanceof Promise)) return c;
  await probe;
  let calls = 0;
  const fn = () => (++calls % CALLS_PER_TURN === 0 ? turn().then(c.fn) : c.fn());
  return { ...c, fn };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Compares functions by time per call (ns/op). Each visit is one mitata
 * `measure` of `roundMs` CPU time (mitata batches fast calls so the clock does
 * not dominate, and awaits async ones); the round value is the mean time per
 * call in that visit, so GC pauses a case causes are charged to it.
 * Cases whose `fn` is missing are reported as skipped with their `reason`.
 */
export async function compareTime({ id, title, cases, notes }) {
  const mode = currentMode();
  const runnable = [];
  for (const c of cases) if (typeof c.fn === 'function') runnable.push(await yieldingCase(c));
  const skipped = cases
    .filter((c) => typeof c.fn !== 'function')
    .map((c) => ({ id: c.id, label: c.label, reason: c.reason ?? 'not available' }));
  for (const s of skipped) log(`  skip ${id}/${s.id}: ${s.reason}`);
  if (runnable[0]?.id !== cases[0].id) {
    const reason = `baseline ${cases[0].id} is not runnable`;
    return { id, title, unit: 'ns/op', better: 'lower', rows: [], skipped, notes, reason };
  }
  const visit = (c, ms) => measure(c.fn, { min_cpu_time: ms * 1e6, min_samples: 4 });
  for (const c of runnable) await visit(c, mode.warmupMs);
  const series = await interleave(runnable, mode.rounds, async (c) => {
    const stats = await visit(c, mode.roundMs);
    return stats.avg;
  });
  const result = group({
    id,
    title,
    unit: 'ns/op',
    better: 'lower',
    cases: runnable,
    series,
    notes,
    skipped,
  });
  printGroup(result);
  return result;
}

/**
 * Compares async request functions by wall time and by this process's CPU
 * time per call, in one set of interleaved rounds: each visit sends calls
 * one at a time for `visitMs`, then records both. Returns two groups, the
 * wall-clock one (`id`) and the CPU one (`${id}-cpu`).
 *
 * Why CPU as well: on loopback a call's wall time also holds the other
 * process (the server) and the scheduler of a shared 2-core machine, and
 * varies by several percent between rounds even for identical cases (run an
 * A/A pair to see it); the client's own CPU time (user + system, its GC
 * threads included) holds what the client does, which is what a wrapper
 * adds to. `rounds` defaults to three times the mode's, each visit a third
 * as long: more pairs, the same time.
 */
export async function compareTimeAndCpu({ id, title, cases, notes }) {
  const mode = currentMode();
  const rounds = mode.rounds * 3;
  const visitMs = mode.roundMs / 3;
  const runnable = cases.filter((c) => typeof c.fn === 'function');
  const skipped = cases
    .filter((c) => typeof c.fn !== 'function')
    .map((c) => ({ id: c.id, label: c.label, reason: c.reason ?? 'not available' }));
  for (const s of skipped) log(`  skip ${id}/${s.id}: ${s.reason}`);
  const groups = [`${id}`, `${id}-cpu`];
  if (runnable[0]?.id !== cases[0].id) {
    const reason = `baseline ${cases[0].id} is not runnable`;
    return groups.map((g) => ({
      id: g,
      title,
      unit: 'ns/op',
      better: 'lower',
      rows: [],
      skipped,
      notes,
      reason,
    }));
  }
  for (const c of runnable) await visitFor(c.fn, mode.warmupMs);
  const wall = runnable.map(() => []);
  const cpu = runnable.map(() => []);
  // No forced GC between visits: its concurrent sweeping would run into the
  // next visit's CPU time. Collections the calls cause fall in the visits of
  // the case that allocates, over many rounds.
  await interleave(runnable, rounds, async (c) => {
    const i = runnable.indexOf(c);
    const visit = await visitFor(c.fn, visitMs);
    wall[i].push(visit.wallNs);
    cpu[i].push(visit.cpuNs);
  });
  const common = { unit: 'ns/op', better: 'lower', cases: runnable, notes, skipped };
  const wallGroup = group({ ...common, id, title: `${title}: wall time`, series: wall });
  const cpuGroup = group({
    ...common,
    id: `${id}-cpu`,
    title: `${title}: client CPU time`,
    series: cpu,
  });
  printGroup(wallGroup);
  printGroup(cpuGroup);
  return [wallGroup, cpuGroup];
}

/**
 * Calls `fn` one call at a time until `ms` of wall time passed (yielding to
 * the event loop now and then, see {@link yieldingCase}); the mean wall and
 * process CPU time per call, in ns.
 */
async function visitFor(fn, ms) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  let calls = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 64; i++) await fn();
    calls += 64;
    if (calls % CALLS_PER_TURN === 0) await turn();
    now = performance.now();
  }
  const { user, system } = process.cpuUsage(cpuStart);
  return { wallNs: ((now - start) * 1e6) / calls, cpuNs: ((user + system) * 1e3) / calls };
}

/** Progress and tables go to stderr so stdout stays free for tools. */
export function log(line) {
  process.stderr.write(`${line}\n`);
}

/** Prints a result group as an aligned text table. */
export function printGroup(g) {
  log(`\n${g.title} (${g.unit}, ${g.better} is better; ratio to ${g.baseline})`);
  for (const r of g.rows) {
    const value = `${fmt(r.median)} [${fmt(r.p25)}-${fmt(r.p75)}]`;
    log(`  ${r.label.padEnd(52)} ${value.padStart(28)}  x${r.ratio.median.toFixed(2)}`);
  }
}

function fmt(n) {
  if (!Number.isFinite(n)) return String(n);
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

/**
 * The entry of every scenario file: runs `body(mode)` and writes what it
 * returns, `{ groups, notes? }` or `{ skipped: reason }`, to `BENCH_OUT` for
 * run.mjs. A thrown error is recorded as the scenario's failure, not a crash
 * of the suite.
 */
export async function scenario(meta, body) {
  const mode = currentMode();
  log(`\n=== ${meta.id}: ${meta.title} (${mode.name})`);
  let result;
  try {
    result = { ...meta, mode: mode.name, ...(await body(mode)) };
  } catch (error) {
    log(`!!! ${meta.id} failed: ${error?.stack ?? error}`);
    result = { ...meta, mode: mode.name, failed: String(error?.message ?? error) };
  }
  if (result.skipped) log(`!!! SKIPPED ${meta.id}: ${result.skipped}`);
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(result));
  // Open handles (sockets, SDK timers) must not keep a finished scenario alive.
  process.exit(0);
}
