/**
 * Core only: `npm install bulwark` alone in an empty project. What a service
 * that uses only resilience, idempotency or `createFetch` pays (packages and
 * bytes), and what happens when it reaches for `bulwark/otel` without the SDK.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, freshConsumer, npmInstall, runNode, skipped } from './harness.mjs';

const MAX_PACKAGES = 5;
const MAX_BYTES = 2_000_000;

export async function coreOnlyChecks({ work, tarball }) {
  console.log('core only (npm install <tarball> in an empty project):');
  const consumer = freshConsumer(work, 'core-only');
  const later = [
    `at most ${MAX_PACKAGES} packages installed`,
    `at most ${MAX_BYTES} bytes in node_modules`,
    "import('bulwark/otel') fails with BULWARK_OTEL_SDK_MISSING naming the install command",
    'the root, bulwark/fetch, bulwark/redis, bulwark/postgres and bulwark/slo import without the SDK',
  ];
  if (
    !(await check('npm install <tarball> succeeds', () => void npmInstall(consumer, [tarball])))
  ) {
    return skipped(later, 'the install failed');
  }
  const modules = join(consumer, 'node_modules');

  await check(later[0], () => {
    const names = installedPackages(modules);
    if (names.length > MAX_PACKAGES)
      throw new Error(`${names.length} packages: ${names.join(', ')}`);
    return `${names.length}: ${names.join(', ')}`;
  });
  await check(later[1], () => {
    const bytes = apparentBytes(modules);
    if (bytes > MAX_BYTES) throw new Error(`${bytes} bytes (limit ${MAX_BYTES})`);
    return `${bytes} bytes`;
  });

  await check(later[2], () => {
    const out = runNode(
      [
        '--input-type=module',
        '-e',
        `try { await import('bulwark/otel'); console.log('{}') }
         catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`,
      ],
      consumer,
    );
    const { code, message } = JSON.parse(out);
    if (code !== 'BULWARK_OTEL_SDK_MISSING') {
      throw new Error(`import('bulwark/otel') gave code ${code}: ${message ?? 'it did not fail'}`);
    }
    if (!message.includes('@opentelemetry/sdk-node') || !message.includes('npm install ')) {
      throw new Error(`the message names no install command: ${message}`);
    }
  });
  await check(later[3], () => {
    const specs = [
      'bulwark',
      'bulwark/fetch',
      'bulwark/redis',
      'bulwark/postgres',
      'bulwark/slo',
      'bulwark/status',
      'bulwark/idempotency',
      'bulwark/resilience',
    ];
    const code = specs.map((spec) => `await import('${spec}');`).join(' ');
    runNode(['--input-type=module', '-e', code], consumer);
  });
}

/**
 * Every installed package: each directory of a `node_modules` (scoped ones
 * included) holding a package.json, and those nested in their own `node_modules`.
 */
function installedPackages(modules, found = []) {
  for (const entry of safeReaddir(modules)) {
    if (entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? safeReaddir(join(modules, entry.name)).map((scoped) => `${entry.name}/${scoped.name}`)
      : [entry.name];
    for (const name of dirs) {
      const dir = join(modules, name);
      if (!isFile(join(dir, 'package.json'))) continue;
      found.push(name);
      installedPackages(join(dir, 'node_modules'), found);
    }
  }
  return found.sort();
}

/**
 * The apparent size of what is in node_modules: the bytes of every file and
 * symlink, as `du --apparent-size` counts them, but without directory entries,
 * whose size depends on the filesystem rather than on what was installed.
 */
function apparentBytes(path) {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.size;
  return safeReaddir(path).reduce((sum, entry) => sum + apparentBytes(join(path, entry.name)), 0);
}

function safeReaddir(dir) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isFile(path) {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}
