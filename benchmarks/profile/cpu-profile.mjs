/**
 * CPU per request of HTTP server variants, by area and by function: each
 * variant (`benchmarks/http/server.mjs <variant>`) runs in its own process
 * with V8's CPU profiler preloaded, is warmed up with the load of
 * `benchmarks/http/load.mjs`, then profiled over one more load of the same
 * shape. Self time is summed per area and divided by the requests served.
 * CPU time per request is what the variants' throughput ratio follows, and
 * it is far less disturbed by a busy machine than requests per second. The
 * samples are wall-clock (time the process waited for a core lands on
 * whatever ran next), so the table also gives the process's own CPU time
 * (user + system) per request, the number to compare variants by.
 *
 *   node benchmarks/profile/cpu-profile.mjs otel-span bulwark-memory [--seconds 10] [--top 40]
 *   node benchmarks/profile/cpu-profile.mjs bulwark-memory@/tmp/base/dist bulwark-memory
 *
 * `variant@dir` runs the variant against another build (`BULWARK_DIST=dir`),
 * to compare a change with its base in one run.
 *
 * Writes the profiles and a JSON summary to `benchmarks/results/profile/`
 * (not committed) and prints a markdown table per area, one column per variant.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { load, stop } from '../http/processes.mjs';
import { transfersUrl } from '../http/rounds.mjs';
import { summariseProfile } from './summarise-profile.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    top: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '1' },
    script: { type: 'string', default: '../http/server.mjs' },
  },
});
const variants = positionals.length > 0 ? positionals : ['otel-span', 'bulwark-memory'];
const outDir = here('../results/profile/');
mkdirSync(outDir, { recursive: true });

/** Starts `spec` (`variant[@dist]`) with the profiler preloaded and an IPC channel; resolves `{ child, port }`. */
async function startProfiled(spec) {
  const [variant, dist] = spec.split('@');
  const env = dist === undefined ? process.env : { ...process.env, BULWARK_DIST: dist };
  const child = spawn(
    process.execPath,
    ['--import', here('./profiler-preload.mjs'), here(values.script), variant],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const message = JSON.parse(line);
  if (message.skip) throw new Error(`${variant} skipped: ${message.skip}`);
  return { child, port: message.port };
}

/** Sends `message` to `child` and waits for the reply of `type`. */
async function ask(child, message, type) {
  const reply = new Promise((resolve) => {
    const onMessage = (m) => {
      if (m?.type !== type) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
  });
  child.send(message);
  return reply;
}

/** One profiled load of a running variant: its autocannon result, CPU time and profile summary. */
async function profileOnce(server) {
  const shape = { url: transfersUrl(server.port), connections: Number(values.connections) };
  await ask(server.child, { type: 'start' }, 'started');
  const result = await load({ ...shape, durationS: Number(values.seconds) });
  const file = `${outDir}${server.spec.replace(/[^\w.-]+/g, '_')}-${Date.now()}.cpuprofile`;
  const { cpuUs } = await ask(server.child, { type: 'stop', file }, 'stopped');
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  return { result, file, cpuUs, ...summariseProfile(profile, result.requests) };
}

/** Pools the rounds of one variant: areas and functions weighted by requests, CPU per round and pooled. */
function pooled(spec, rounds) {
  const requests = rounds.reduce((n, r) => n + r.result.requests, 0);
  const pool = (key) => {
    const total = new Map();
    for (const r of rounds) {
      for (const [name, us] of r[key])
        total.set(name, (total.get(name) ?? 0) + us * r.result.requests);
    }
    return new Map([...total].map(([name, us]) => [name, us / requests]));
  };
  const perRound = rounds.map((r) => r.cpuUs / r.result.requests).sort((x, y) => x - y);
  return {
    variant: spec,
    requests,
    rps: rounds.map((r) => Math.round(r.result.rps)),
    failed: rounds.reduce((n, r) => n + r.result.non2xx + r.result.errors, 0),
    files: rounds.map((r) => r.file),
    cpuRoundsUs: perRound,
    cpuMedianUs: perRound[Math.floor(perRound.length / 2)],
    cpuPerRequestUs: rounds.reduce((n, r) => n + r.cpuUs, 0) / requests,
    totalUs: rounds.reduce((n, r) => n + r.totalUs * r.result.requests, 0) / requests,
    areas: pool('areas'),
    functions: pool('functions'),
  };
}

// Every variant runs at once (idle but one), warmed up, then profiled in
// interleaved rounds, so a busy spell of the machine falls on all of them.
const servers = [];
try {
  for (const spec of variants) servers.push({ spec, ...(await startProfiled(spec)), rounds: [] });
  for (const server of servers) {
    const url = transfersUrl(server.port);
    await load({ url, connections: Number(values.connections), durationS: Number(values.warmup) });
  }
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) server.rounds.push(await profileOnce(server));
  }
} finally {
  await Promise.all(servers.map((server) => stop(server.child)));
}
const runs = servers.map((server) => pooled(server.spec, server.rounds));

const fmt = (us) => (us === undefined ? '' : us.toFixed(1));
const header = (first) => `| ${first} | ${runs.map((r) => r.variant).join(' | ')} |`;
const rule = `| --- |${runs.map(() => ' ---: |').join('')}`;
const rowsOf = (key, limit) => {
  const names = new Set(runs.flatMap((r) => [...r[key].keys()]));
  const weight = (name) => Math.max(...runs.map((r) => r[key].get(name) ?? 0));
  return [...names].sort((a, b) => weight(b) - weight(a)).slice(0, limit);
};

const lines = [
  `${values.rounds} round(s) of ${values.seconds} s per variant, load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')} at the end`,
  '',
  ...runs.map(
    (r) =>
      `- ${r.variant}: ${r.requests} requests (req/s per round ${r.rps.join(', ')}; failed ${r.failed}); process CPU µs/request per round ${r.cpuRoundsUs.map(fmt).join(', ')}`,
  ),
  '',
  '### CPU µs per request, by area',
  '',
  header('area'),
  rule,
  ...rowsOf('areas', 100).map(
    (a) => `| ${a} | ${runs.map((r) => fmt(r.areas.get(a))).join(' | ')} |`,
  ),
  `| **total sampled** | ${runs.map((r) => `**${fmt(r.totalUs)}**`).join(' | ')} |`,
  `| **process CPU (user + system), pooled** | ${runs.map((r) => `**${fmt(r.cpuPerRequestUs)}**`).join(' | ')} |`,
  `| **process CPU, median round** | ${runs.map((r) => `**${fmt(r.cpuMedianUs)}**`).join(' | ')} |`,
  '',
  `### Top ${values.top} functions (self µs per request)`,
  '',
  header('area | file | function'),
  rule,
  ...rowsOf('functions', Number(values.top)).map(
    (f) => `| ${f} | ${runs.map((r) => fmt(r.functions.get(f))).join(' | ')} |`,
  ),
];
const text = lines.join('\n');
process.stdout.write(`${text}\n`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(
  `${outDir}summary-${stamp}.json`,
  JSON.stringify(
    runs.map((r) => ({
      variant: r.variant,
      requests: r.requests,
      rps: r.rps,
      files: r.files,
      totalUs: r.totalUs,
      cpuPerRequestUs: r.cpuPerRequestUs,
      cpuRoundsUs: r.cpuRoundsUs,
      areas: Object.fromEntries(r.areas),
      functions: Object.fromEntries(r.functions),
    })),
    null,
    1,
  ),
);
writeFileSync(`${outDir}summary-${stamp}.md`, text);
