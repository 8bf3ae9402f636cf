/**
 * CPU per request of HTTP server variants, by area and by function: each
 * variant (`benchmarks/http/server.mjs <variant>`) runs in its own process
 * with V8's CPU profiler preloaded, is warmed up with the load of
 * `benchmarks/http/load.mjs`, then profiled over one more load of the same
 * shape. Self time is summed per area and divided by the requests served.
 * CPU time per request is what the variants' throughput ratio follows, and
 * it is far less disturbed by a busy machine than requests per second.
 *
 *   node benchmarks/profile/cpu-profile.mjs otel-span bulwark-memory [--seconds 10] [--top 40]
 *
 * Writes the profiles and a JSON summary to `benchmarks/results/profile/`
 * (not committed) and prints a markdown table per area, one column per variant.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    script: { type: 'string', default: '../http/server.mjs' },
  },
});
const variants = positionals.length > 0 ? positionals : ['otel-span', 'bulwark-memory'];
const outDir = here('../results/profile/');
mkdirSync(outDir, { recursive: true });

/** Starts `variant` with the profiler preloaded and an IPC channel; resolves `{ child, port }`. */
async function startProfiled(variant) {
  const child = spawn(
    process.execPath,
    ['--import', here('./profiler-preload.mjs'), here(values.script), variant],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
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

async function profileVariant(variant) {
  const { child, port } = await startProfiled(variant);
  try {
    const shape = { url: transfersUrl(port), connections: Number(values.connections) };
    await load({ ...shape, durationS: Number(values.warmup) });
    await ask(child, { type: 'start' }, 'started');
    const result = await load({ ...shape, durationS: Number(values.seconds) });
    const file = `${outDir}${variant}-${Date.now()}.cpuprofile`;
    await ask(child, { type: 'stop', file }, 'stopped');
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    return { variant, result, file, ...summariseProfile(profile, result.requests) };
  } finally {
    await stop(child);
  }
}

const runs = [];
for (const variant of variants) runs.push(await profileVariant(variant));

const fmt = (us) => (us === undefined ? '' : us.toFixed(1));
const header = (first) => `| ${first} | ${runs.map((r) => r.variant).join(' | ')} |`;
const rule = `| --- |${runs.map(() => ' ---: |').join('')}`;
const rowsOf = (key, limit) => {
  const names = new Set(runs.flatMap((r) => [...r[key].keys()]));
  const weight = (name) => Math.max(...runs.map((r) => r[key].get(name) ?? 0));
  return [...names].sort((a, b) => weight(b) - weight(a)).slice(0, limit);
};

const lines = [
  `${runs.map((r) => `${r.variant}: ${r.result.requests} requests in ${values.seconds} s (${Math.round(r.result.rps)} req/s, non-2xx ${r.result.non2xx}, errors ${r.result.errors})`).join('; ')}`,
  '',
  '### CPU µs per request, by area',
  '',
  header('area'),
  rule,
  ...rowsOf('areas', 100).map((a) => `| ${a} | ${runs.map((r) => fmt(r.areas.get(a))).join(' | ')} |`),
  `| **total** | ${runs.map((r) => `**${fmt(r.totalUs)}**`).join(' | ')} |`,
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
      result: r.result,
      file: r.file,
      totalUs: r.totalUs,
      areas: Object.fromEntries(r.areas),
      functions: Object.fromEntries(r.functions),
    })),
    null,
    1,
  ),
);
writeFileSync(`${outDir}summary-${stamp}.md`, text);
