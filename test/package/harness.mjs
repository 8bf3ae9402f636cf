/**
 * What every consumer-shape file of the package checks shares: the repository's
 * paths, one printed line per check, bounded child processes, and fresh consumer
 * projects that install the one packed tarball through npm's shared cache.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
export const fixtures = join(here, 'fixtures');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** A tool from the repository's own devDependencies (tsc, attw, publint). */
export const bin = (name) => join(root, 'node_modules/.bin', name);

/** Every public subpath as a consumer spells it: `bulwark`, `bulwark/express`, ... */
export const subpaths = Object.keys(pkg.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'bulwark' : `bulwark/${key.slice(2)}`));

/**
 * The SDK packages `bulwark/otel` loads, read from `SDK_PACKAGES` in
 * `src/otel/sdk.ts` so that this list and the install command bulwark prints
 * can never drift apart.
 */
export const sdkPackages = (() => {
  const source = readFileSync(join(root, 'src/otel/sdk.ts'), 'utf8');
  const list = /export const SDK_PACKAGES = \[([\s\S]*?)\] as const/.exec(source)?.[1];
  const names = [...(list ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
  if (names.length === 0) throw new Error('SDK_PACKAGES not found in src/otel/sdk.ts');
  return names;
})();

/** A devDependency pinned at the range the repository is tested with, e.g. `@types/node@^22.15.0`. */
export const devSpec = (name) => `${name}@${pkg.devDependencies[name]}`;

// Child processes are bounded, so a stuck install or a hung app fails its check
// instead of hanging CI.
const INSTALL_TIMEOUT_MS = 240_000;
export const RUN_TIMEOUT_MS = 60_000;

let passed = 0;
let failed = 0;

/** The running totals, for the closing line and the JSON report. */
export const totals = () => ({ passed, failed });

/**
 * Runs one check (sync or async) and prints one line for it; a failure prints
 * the error's stdout/stderr/message indented below. Resolves to whether it passed,
 * so a consumer whose setup failed can skip the checks that need it.
 */
export async function check(name, fn) {
  try {
    const note = await fn();
    passed++;
    console.log(`  ✓ ${name}${note ? ` (${note})` : ''}`);
    return true;
  } catch (error) {
    failed++;
    console.log(
      `  ✗ ${name}\n${indent(String(error?.stdout ?? ''))}${indent(String(error?.stderr || error?.message || error))}`,
    );
    return false;
  }
}

/** Counts checks that could not run because their consumer could not be set up. */
export function skipped(names, reason) {
  for (const name of names) {
    failed++;
    console.log(`  ✗ ${name}\n${indent(`not run: ${reason}`)}`);
  }
}

const indent = (text) => (text.trim() ? `${text.trim().replace(/^/gm, '      ')}\n` : '');

/** Runs a command to completion within a bound; throws (with its output) on a non-zero exit. */
export function run(cmd, args, cwd, { env, timeoutMs = RUN_TIMEOUT_MS } = {}) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env === undefined ? process.env : { ...process.env, ...env },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs `node` (the one running these checks) with `args` in `cwd`. */
export const runNode = (args, cwd, options) => run(process.execPath, args, cwd, options);

/**
 * Runs `cmd args` in `cwd` without blocking this process (a receiver in it must
 * keep answering; other work can run beside it), killed if it outlives the bound.
 * Resolves with its exit and output; never rejects for a non-zero exit.
 */
export function runAsync(cmd, args, cwd, { env = process.env, timeoutMs = RUN_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** `runAsync` of `node` (the one running these checks) with exactly the environment `env`. */
export const runNodeAsync = (args, cwd, env) => runAsync(process.execPath, args, cwd, { env });

/** A fresh, empty consumer project in `work/name`. */
export function freshConsumer(work, name, { type = 'module' } = {}) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${name}`, private: true, type }, null, 2)}\n`,
  );
  return dir;
}

/**
 * `npm install` as a user types it, plus only what keeps CI fast and quiet:
 * the shared cache first (`--prefer-offline`), no audit, no funding notice.
 * Never `--legacy-peer-deps` or `--force`: an ERESOLVE must fail the check.
 */
export function npmInstall(cwd, specs, { ignoreScripts = true } = {}) {
  const flags = ['--prefer-offline', '--no-audit', '--no-fund'];
  if (ignoreScripts) flags.push('--ignore-scripts');
  return run('npm', ['install', ...flags, ...specs], cwd, { timeoutMs: INSTALL_TIMEOUT_MS });
}

/** `npm ci` with the same flags. */
export function npmCi(cwd) {
  return run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], cwd, {
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
}
