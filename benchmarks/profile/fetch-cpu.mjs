/**
 * The `http-client` scenario's requests (`benchmarks/scenarios/http-client.mjs`),
 * raw `fetch` and its hand-rolled yardstick (`http/fetch-hand-rolled.mjs`)
 * against `createFetch()` of one or more builds, in this one
 * process against the same downstream (`benchmarks/http/downstream.mjs`):
 *
 *   node benchmarks/profile/fetch-cpu.mjs [--method GET|POST] [--rounds 12] [--requests 2000] [dir ...]
 *   node benchmarks/profile/fetch-cpu.mjs --profile [--method POST] [dir ...]
 *
 * Without `--profile`: interleaved rounds (the order alternates), each case
 * sending `--requests` requests one at a time; per round the wall time and
 * this process's CPU time (user + system) per request, and each case's ratio
 * to raw fetch in the same round (paired), summarised as median [p25-p75].
 * CPU time per request is far less disturbed by the machine's other work.
 *
 * With `--profile`: each case runs its requests under V8's CPU profiler, in
 * turn, and self time is summed per area (bulwark's `src/` folders, undici,
 * Node internals, GC) and per function, divided by the requests; time waiting
 * for the server is idle and not counted. Profiles land in
 * `benchmarks/results/profile/` (not committed).
 *
 * With `--in-process`: no downstream; undici's global dispatcher answers at
 * once (see `answerInProcess`), so the numbers hold the JavaScript alone.
 *
 * With `--alloc`: bytes allocated per request (collected or not), per area
 * and per function, from V8's sampling heap profiler. The process's CPU time
 * includes the garbage collector's helper threads, which the CPU profile does
 * not show: allocation is where that time comes from.
 *
 * `dir` is a build of bulwark (default `dist/`), so a change can be compared
 * with its base in one run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pairedRatio, summarise } from '../harness.mjs';
import { handRolledFetch } from '../http/fetch-hand-rolled.mjs';
import { startServer, stop } from '../http/processes.mjs';
import { placeOf, summariseProfile } from './summarise-profile.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    method: { type: 'string', default: 'GET' },
    rounds: { type: 'string', default: '12' },
    requests: { type: 'string', default: '2000' },
    profile: { type: 'boolean', default: false },
    alloc: { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});
const dists =
  positionals.length > 0 ? positionals : [fileURLToPath(new URL('../../dist/', import.meta.url))];
const method = values.method.toUpperCase();
const requests = Number(values.requests);

const PAYMENT = JSON.stringify({ amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' });
let sequence = 0;

/** The scenario's request: a bare GET, or a JSON POST with a fresh Idempotency-Key. */
function request() {
  if (method === 'GET') return { method };
  return {
    method,
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${sequence++}` },
    body: PAYMENT,
  };
}

/** Sends `count` requests one at a time through `fetchFn`, each body read to the end. */
async function send(fetchFn, url, count) {
  for (let i = 0; i < count; i++) await (await fetchFn(url, request())).arrayBuffer();
}

async function main() {
  const downstream = values['in-process']
    ? answerInProcess()
    : await startServer('downstream', './downstream.mjs');
  try {
    const url = `http://127.0.0.1:${downstream.port}/payments`;
    const cases = [
      { id: 'raw-fetch', fn: fetch },
      { id: 'hand-rolled', fn: handRolledFetch },
    ];
    for (const dir of dists) {
      const { createFetch } = await import(
        pathToFileURL(join(resolve(dir), 'fetch/index.js')).href
      );
      cases.push({ id: `create-fetch ${dir}`, fn: createFetch() });
    }
    for (const c of cases) await send(c.fn, url, Math.max(500, requests / 2));
    if (values.profile) await profileCases(cases, url);
    else if (values.alloc) await allocationsOf(cases, url);
    else await pairCases(cases, url);
  } finally {
    if (downstream.child) await stop(downstream.child);
  }
}

/** Where Node's undici keeps its global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * `--in-process`: undici's global dispatcher is replaced by one that answers
 * every request on the next turn of the event loop with the downstream's
 * answer (head and body in one go, as on loopback), so the measure holds the
 * JavaScript alone: no socket, no server process, far less disturbed by the
 * machine's other work. Both handler APIs (undici 6/7 and 8).
 */
function answerInProcess() {
  const body = Buffer.from(JSON.stringify({ id: 'pay_1', status: 'settled' }));
  const head = { 'content-type': 'application/json', 'content-length': String(body.length) };
  const rawHead = Object.entries(head).flatMap(([name, value]) => [
    Buffer.from(name),
    Buffer.from(value),
  ]);
  globalThis[GLOBAL_DISPATCHER] = {
    isMockActive: false,
    dispatch(_options, handler) {
      setImmediate(() => {
        if (typeof handler.onRequestStart === 'function') {
          const controller = { abort() {}, pause() {}, resume() {}, paused: false, aborted: false };
          handler.onRequestStart(controller, {});
          handler.onResponseStart(controller, 200, head, 'OK');
          handler.onResponseData(controller, body);
          handler.onResponseEnd(controller, {});
          return;
        }
        handler.onConnect(() => {});
        handler.onHeaders(200, rawHead, () => {}, 'OK');
        handler.onData(body);
        handler.onComplete([]);
      });
      return true;
    },
  };
  return { port: 8080, child: undefined };
}

/** Interleaved rounds; prints µs per request (wall and CPU) and the paired ratios to raw fetch. */
async function pairCases(cases, url) {
  const wall = cases.map(() => []);
  const cpu = cases.map(() => []);
  const mainThread = cases.map(() => []);
  // The main thread's own CPU time (Node 23.9+): without the GC helper and compiler threads.
  const threadCpu = process.threadCpuUsage?.bind(process);
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      globalThis.gc?.();
      const cpuStart = process.cpuUsage();
      const threadStart = threadCpu?.();
      const start = performance.now();
      await send(cases[i].fn, url, requests);
      const elapsedUs = (performance.now() - start) * 1000;
      const { user, system } = process.cpuUsage(cpuStart);
      if (threadStart !== undefined) {
        const thread = threadCpu(threadStart);
        mainThread[i].push((thread.user + thread.system) / requests);
      }
      wall[i].push(elapsedUs / requests);
      cpu[i].push((user + system) / requests);
    }
  }
  const fmt = (s, digits = 1) =>
    `${s.median.toFixed(digits)} [${s.p25.toFixed(digits)}-${s.p75.toFixed(digits)}]`;
  process.stdout.write(`${method}, ${requests} requests x ${values.rounds} rounds\n`);
  const threads = threadCpu === undefined ? '' : ' main thread µs/req | main thread ratio |';
  process.stdout.write(
    `| case | wall µs/req | ratio | CPU µs/req | CPU ratio |${threads}\n|---|---|---|---|---|${threads && '---|---|'}\n`,
  );
  cases.forEach((c, i) => {
    const thread =
      threadCpu === undefined
        ? ''
        : ` ${fmt(summarise(mainThread[i]))} | ${fmt(pairedRatio(mainThread[i], mainThread[0]), 3)} |`;
    process.stdout.write(
      `| ${c.id} | ${fmt(summarise(wall[i]))} | ${fmt(pairedRatio(wall[i], wall[0]), 3)} | ${fmt(summarise(cpu[i]))} | ${fmt(pairedRatio(cpu[i], cpu[0]), 3)} |${thread}\n`,
    );
  });
}

/** Profiles each case in turn; prints self time per area and the top functions per case. */
async function profileCases(cases, url) {
  const outDir = fileURLToPath(new URL('../results/profile/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // Sample finely: a request costs a few hundred microseconds of CPU.
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  // Interleaved rounds, averaged: one case profiled after another would fold the
  // machine's drift into their difference.
  const rounds = Math.max(1, Math.min(Number(values.rounds), 6));
  const perCase = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      globalThis.gc?.();
      await session.post('Profiler.start');
      await send(cases[i].fn, url, requests);
      const { profile } = await session.post('Profiler.stop');
      const name = `fetch-${method}-${cases[i].id.replace(/[^\w]+/g, '_')}-${round}.cpuprofile`;
      writeFileSync(join(outDir, name), JSON.stringify(profile));
      perCase[i].push(summariseProfile(profile, requests));
    }
  }
  const summaries = perCase.map(averaged);
  session.disconnect();
  const areas = new Set(summaries.flatMap((s) => [...s.areas.keys()]));
  const header = cases.map((c) => c.id);
  process.stdout.write(
    `${method}, ${requests} requests per case and round, ${rounds} rounds, self µs/req (mean)\n`,
  );
  process.stdout.write(
    `| area | ${header.join(' | ')} |\n|---|${header.map(() => '---').join('|')}|\n`,
  );
  const rows = [...areas].sort(
    (a, b) => (summaries.at(-1).areas.get(b) ?? 0) - (summaries.at(-1).areas.get(a) ?? 0),
  );
  for (const area of rows) {
    const cells = summaries.map((s) => (s.areas.get(area) ?? 0).toFixed(1));
    process.stdout.write(`| ${area} | ${cells.join(' | ')} |\n`);
  }
  process.stdout.write(`| total | ${summaries.map((s) => s.totalUs.toFixed(1)).join(' | ')} |\n`);
  cases.forEach((c, i) => {
    process.stdout.write(`\n${c.id}: top functions (µs/req)\n`);
    const top = [...summaries[i].functions].sort((a, b) => b[1] - a[1]);
    for (const [fn, us] of top.slice(0, Number(values.top))) {
      process.stdout.write(`${us.toFixed(2).padStart(7)}  ${fn}\n`);
    }
  });
}

/** The mean of profile summaries (`summariseProfile`), area by area and function by function. */
function averaged(list) {
  const mean = (key) => {
    const sums = new Map();
    for (const summary of list) {
      for (const [name, us] of summary[key])
        sums.set(name, (sums.get(name) ?? 0) + us / list.length);
    }
    return sums;
  };
  const totalUs = list.reduce((sum, summary) => sum + summary.totalUs, 0) / list.length;
  return { totalUs, areas: mean('areas'), functions: mean('functions') };
}

/** Samples allocations of each case in turn; prints bytes per request per area and function. */
async function allocationsOf(cases, url) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  const rows = [];
  for (const c of cases) {
    globalThis.gc?.();
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 64,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await send(c.fn, url, requests);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const areas = new Map();
    const functions = new Map();
    let total = 0;
    const add = (map, key, bytes) => map.set(key, (map.get(key) ?? 0) + bytes);
    const walk = (node, caller) => {
      const { url: file, lineNumber, functionName } = node.callFrame;
      const place = file === '' ? caller : placeOf(file, lineNumber, functionName);
      if (node.selfSize > 0) {
        total += node.selfSize;
        add(areas, place?.area ?? 'other', node.selfSize);
        add(
          functions,
          `${place?.area} | ${place?.file} | ${functionName || '(anonymous)'}`,
          node.selfSize,
        );
      }
      for (const child of node.children) walk(child, place);
    };
    walk(profile.head, undefined);
    rows.push({ id: c.id, total, areas, functions });
  }
  session.disconnect();
  const perReq = (bytes) => (bytes / requests).toFixed(0);
  process.stdout.write(`${method}, ${requests} requests per case, bytes allocated per request\n`);
  for (const row of rows) {
    process.stdout.write(`\n${row.id}: ${perReq(row.total)} B/req\n`);
    for (const [area, bytes] of [...row.areas].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`${perReq(bytes).padStart(7)}  ${area}\n`);
    }
    process.stdout.write('top functions:\n');
    const top = [...row.functions].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
    for (const [fn, bytes] of top) process.stdout.write(`${perReq(bytes).padStart(7)}  ${fn}\n`);
  }
}

await main();
