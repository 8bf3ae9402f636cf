/**
 * CPU per request of the Fastify server variants, by area: each variant of
 * `http/fastify-server.mjs` runs under `node --cpu-prof`, autocannon (the
 * request of `http/load.mjs`) loads it for a fixed time, and the profile's
 * self time is summed per area (and per bulwark source file, mapped through
 * the `// src/...` markers esbuild leaves in dist/) and divided by the
 * requests served. The samples are wall-clock: time the process spent
 * descheduled inside a system call lands on that call (`native writev` grows
 * when the machine is busy), so the table ends with the process's own CPU
 * time per request (user + system, from /proc on Linux), the number to
 * compare variants by.
 * A file counts under the nearest marker above it, and esbuild leaves none for
 * some files: `fastify/tenant-hooks.ts` shows up as `fastify/plugin-options.ts`.
 *
 *   node benchmarks/profile/fastify-cpu.mjs [durationS=8] [variants=bare,otel-span,bulwark-memory]
 *
 * Prints a markdown table: µs of CPU per request per area and variant.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { load, stop } from '../http/processes.mjs';
import { DIST } from '../load.mjs';

const durationS = Number(process.argv[2] ?? 8);
const variants = (process.argv[3] ?? 'bare,otel-span,bulwark-memory').split(',');
const server = fileURLToPath(new URL('../http/fastify-server.mjs', import.meta.url));

/** Starts one variant under the profiler; resolves `{ child, port, dir }`. */
async function start(variant) {
  const dir = mkdtempSync(join(tmpdir(), `bulwark-prof-${variant}-`));
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, server, variant], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const message = JSON.parse(line);
  if (message.skip) throw new Error(`${variant}: ${message.skip}`);
  return { child, port: message.port, dir };
}

/**
 * User and system CPU time (µs) a process has used so far, from
 * `/proc/<pid>/stat` (fields 14 and 15, in clock ticks of 10 ms on Linux);
 * `undefined` where there is no /proc.
 */
function processCpuUs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { user: Number(fields[11]) * 10_000, system: Number(fields[12]) * 10_000 };
  } catch {
    return undefined;
  }
}

/** The `// src/...` markers of a dist file: line number (0-based) → source file. */
const markerCache = new Map();
const distUrl = pathToFileURL(DIST).href.replace(/\/?$/, '/');
function sourceOf(url, line) {
  if (!url.startsWith(distUrl)) return undefined;
  let markers = markerCache.get(url);
  if (markers === undefined) {
    markers = [];
    const lines = readFileSync(fileURLToPath(url), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const match = /^\/\/ (src\/\S+\.ts)$/.exec(text);
      if (match) markers.push([i, match[1]]);
    });
    markerCache.set(url, markers);
  }
  let found = 'dist (unmapped)';
  for (const [at, file] of markers) if (at <= line) found = file;
  return found;
}

/** The area a profile node's self time counts under. */
function areaOf(frame) {
  const { url, functionName, lineNumber } = frame;
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return '(program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) {
    const name = pkg[1];
    if (name.startsWith('@opentelemetry/')) return `otel ${name.slice(15)}`;
    return `pkg ${name}`;
  }
  const source = sourceOf(url, lineNumber);
  if (source !== undefined) return `bulwark ${source.replace(/^src\//, '')}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).replace(/^internal\//, '')}`;
  if (url === '') return `native ${functionName || '(anonymous)'}`;
  return `other ${url}`;
}

/**
 * Self time in µs per area of one profile, counting only the samples taken
 * between `fromUs` and `toUs`: V8 stamps samples on the monotonic clock that
 * `process.hrtime` reads, so the window is the measured load (no start-up, no warm-up).
 */
function selfTimeByArea(profile, fromUs, toUs) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byArea = new Map();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    const area = areaOf(nodes.get(id).callFrame);
    if (area === undefined) return;
    byArea.set(area, (byArea.get(area) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return byArea;
}

const results = [];
for (const variant of variants) {
  const { child, port, dir } = await start(variant);
  const url = `http://127.0.0.1:${port}/transfers`;
  await load({ url, durationS: 2, connections: 10 }); // warm-up, outside the window
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const cpuBefore = processCpuUs(child.pid);
  const warm = await load({ url, durationS, connections: 10 });
  const cpuAfter = processCpuUs(child.pid);
  const toUs = Number(process.hrtime.bigint() / 1000n);
  await stop(child);
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byArea = selfTimeByArea(profile, fromUs, toUs);
  const cpu =
    cpuBefore && cpuAfter
      ? { user: cpuAfter.user - cpuBefore.user, system: cpuAfter.system - cpuBefore.system }
      : undefined;
  results.push({ variant, rps: warm.rps, requests: warm.requests, byArea, cpu });
  process.stderr.write(`${variant}: ${Math.round(warm.rps)} req/s, profile ${join(dir, file)}\n`);
}

/** Groups small areas so the table stays readable. */
function group(area) {
  if (area.startsWith('bulwark ')) return area;
  if (area.startsWith('otel ')) return 'OTel SDK/API';
  if (area.startsWith('pkg ')) return area;
  if (area.startsWith('node ')) {
    const file = area.slice(5);
    if (/^(async_hooks|async_local_storage|process\/task_queues|timers)/.test(file)) {
      return 'node async/timers';
    }
    if (/^(streams|stream)/.test(file)) return 'node streams';
    if (/^(http|_http|net|stream_base)/.test(file)) return 'node http/net';
    return 'node other';
  }
  return area;
}

const table = new Map();
for (const { variant, requests, byArea } of results) {
  for (const [area, us] of byArea) {
    const key = group(area);
    const row = table.get(key) ?? {};
    row[variant] = (row[variant] ?? 0) + us / requests;
    table.set(key, row);
  }
}
const rows = [...table.entries()].sort(
  (a, b) => Math.max(...Object.values(b[1])) - Math.max(...Object.values(a[1])),
);
const fmt = (n) => (n === undefined ? '' : n.toFixed(1));
console.log(`| area (µs CPU / request) | ${variants.join(' | ')} |`);
console.log(`|---|${variants.map(() => '---:').join('|')}|`);
for (const [area, row] of rows) {
  if (Math.max(...Object.values(row)) < 0.3) continue;
  console.log(`| ${area} | ${variants.map((v) => fmt(row[v])).join(' | ')} |`);
}
const totals = variants.map((v) =>
  fmt([...table.values()].reduce((sum, row) => sum + (row[v] ?? 0), 0)),
);
console.log(`| **total** | ${totals.join(' | ')} |`);
console.log(`| req/s under profiler | ${results.map((r) => Math.round(r.rps)).join(' | ')} |`);
const cpuRow = (pick) =>
  results.map((r) => (r.cpu === undefined ? 'n/a' : fmt(pick(r.cpu) / r.requests))).join(' | ');
console.log(`| **process CPU (user + system)** | ${cpuRow((c) => c.user + c.system)} |`);
console.log(`| of which system | ${cpuRow((c) => c.system)} |`);
