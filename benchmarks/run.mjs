/**
 * Runs the benchmark suite: each scenario in its own process (with
 * --expose-gc, so GC state and a registered OTel SDK never leak between
 * scenarios), then writes one JSON file to results/ and renders it.
 *
 *   node run.mjs                quick suite (under 3 minutes on 2 cores)
 *   node run.mjs --full         long suite; renders RESULTS.md and ratios.svg
 *   node run.mjs --only a,b     only the named scenarios
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DIST } from './load.mjs';
import { render } from './render.mjs';
import { evaluateTargets } from './targets.mjs';

/** Every scenario, in report order. */
export const SCENARIOS = [
  'policy',
  'policy-otel',
  'policy-shared',
  'tenant-context',
  'tenant-spans',
  'tenant-guard',
  'idempotency-stores',
  'http-server',
  'http-server-fastify',
  'http-client',
  'memory',
  'status',
];

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const args = process.argv.slice(2);
const mode = args.includes('--full') ? 'full' : 'quick';
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1]?.split(',') : undefined;
const SCENARIO_TIMEOUT_MS = mode === 'full' ? 20 * 60_000 : 3 * 60_000;

/** Runs one scenario process and returns what it wrote, or why it has nothing. */
async function runScenario(id) {
  const out = here(`results/${id}.tmp.json`);
  rmSync(out, { force: true });
  const child = spawn(process.execPath, ['--expose-gc', here(`scenarios/${id}.mjs`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, BENCH_MODE: mode, BENCH_OUT: out },
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_TIMEOUT_MS);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (!existsSync(out)) return { id, failed: `exited with ${signal ?? code} and wrote no result` };
  const result = JSON.parse(readFileSync(out, 'utf8'));
  rmSync(out);
  return result;
}

function version(packageJson) {
  try {
    return JSON.parse(readFileSync(here(packageJson), 'utf8')).version;
  } catch {
    return undefined;
  }
}

function git(...gitArgs) {
  try {
    return execFileSync('git', gitArgs, { cwd: here('..'), encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** Where and with what the numbers were taken. */
function environment(startedAt) {
  const packages = {};
  for (const name of ['cockatiel', 'opossum', 'ky', 'autocannon', 'mitata']) {
    packages[name] = version(`node_modules/${name}/package.json`);
  }
  for (const name of ['express', '@opentelemetry/api', '@opentelemetry/sdk-trace']) {
    packages[name] = version(`../node_modules/${name}/package.json`);
  }
  for (const name of ['@opentelemetry/sdk-metrics', 'ioredis', 'pg']) {
    packages[name] = version(`../node_modules/${name}/package.json`);
  }
  return {
    timestamp: startedAt.toISOString(),
    mode,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGiB: Math.round(freemem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((n) => Number(n.toFixed(2))),
    bulwark: { version: version('../package.json'), dist: DIST },
    commit: git('rev-parse', '--short', 'HEAD'),
    workingTreeDirty: Boolean(git('status', '--porcelain', '--', 'src')),
    packages,
  };
}

const startedAt = new Date();
const env = environment(startedAt);
console.error(`bulwark benchmarks, ${mode} mode, ${env.node}, ${env.cpu} x${env.cores}`);
console.error(`load average at start: ${env.loadAverageAtStart.join(' ')}`);
const scenarios = [];
for (const id of SCENARIOS.filter((s) => !only || only.includes(s))) {
  scenarios.push(await runScenario(id));
}
env.loadAverageAtEnd = loadavg().map((n) => Number(n.toFixed(2)));
env.durationS = Math.round((Date.now() - startedAt.getTime()) / 1000);
const results = { environment: env, scenarios };
results.targets = evaluateTargets(results);

mkdirSync(here('results'), { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
const file = here(`results/${mode}-${stamp}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const rendered = render(results, mode === 'full' ? here('.') : here('results/quick'), file);

console.error(`\nTargets (${mode} run):`);
for (const t of results.targets) {
  const measured = t.ratio ?? t.difference;
  const ratio = measured
    ? ` ${t.ratio ? 'ratio' : 'difference'} ${measured.median.toFixed(3)} (limit ${t.op} ${t.limit})`
    : '';
  console.error(`  [${t.verdict}] ${t.text}${ratio}`);
}
for (const s of scenarios.filter((x) => x.skipped || x.failed)) {
  console.error(`  ${s.failed ? 'FAILED' : 'skipped'} ${s.id}: ${s.failed ?? s.skipped}`);
}
console.error(`\n${env.durationS} s. Results: ${file}\nReport: ${rendered.markdown}`);
process.exitCode = scenarios.some((s) => s.failed) ? 1 : 0;
