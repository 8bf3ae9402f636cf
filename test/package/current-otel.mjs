/**
 * The current OpenTelemetry line: a project that already uses the latest
 * OpenTelemetry packages adds bulwark with a plain `npm install`. bulwark's peer
 * ranges must accept them (no ERESOLVE, no `--legacy-peer-deps`), the lockfile
 * must reinstall (`npm ci`), and the tree must hold one OpenTelemetry API and
 * one core: two copies of a global-holding package split the process's telemetry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, freshConsumer, npmCi, npmInstall, run, runNode, skipped } from './harness.mjs';

const LATEST = [
  '@opentelemetry/api@latest',
  '@opentelemetry/sdk-node@latest',
  '@opentelemetry/auto-instrumentations-node@latest',
];
/**
 * Must be one copy whatever upstream does: the API holds the process's globals.
 * `@opentelemetry/core` is checked as "bulwark adds no copy": upstream's latest
 * set can hold two by itself (auto-instrumentations-node 0.82 asks for sdk-node
 * ^0.300, which pins core 3.0.0, while it and sdk-node 0.301 take core 3.1.1).
 */
const SINGLE = ['@opentelemetry/api'];
const SHARED = ['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/sdk-node'];

export async function currentOtelChecks({ work, tarball }) {
  console.log('current OpenTelemetry line (the latest OTel packages, then bulwark):');
  const consumer = freshConsumer(work, 'current-otel');
  const later = [
    'npm install <tarball> beside them succeeds without ERESOLVE (no --legacy-peer-deps, no --force)',
    'npm ci reinstalls from the lockfile',
    ...SINGLE.map((name) => `npm ls --all shows exactly one version of ${name}`),
    "bulwark adds no OpenTelemetry package (no copy of core either) and loads the app's own api, core and sdk-node",
  ];
  const installedLatest = await check(`npm install ${LATEST.join(' ')}`, () => {
    npmInstall(consumer, LATEST, { ignoreScripts: false });
    const deps = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8')).dependencies;
    return Object.entries(deps)
      .map(([name, range]) => `${name.replace('@opentelemetry/', '')} ${range}`)
      .join(', ');
  });
  if (!installedLatest) return skipped(later, 'the OpenTelemetry packages did not install');
  const before = otelPackages(npmTree(consumer));
  if (
    !(await check(later[0], () => void npmInstall(consumer, [tarball], { ignoreScripts: false })))
  ) {
    return skipped(later.slice(1), 'bulwark did not install');
  }
  await check(later[1], () => void npmCi(consumer));

  const tree = npmTree(consumer);
  for (const [i, name] of SINGLE.entries()) {
    await check(later[2 + i], () => {
      // One chain per version, the shortest; npm lists bulwark's peers under bulwark,
      // so a chain through bulwark is shown only when no other needs that version.
      const rank = (path) => (path.startsWith('bulwark@') ? 1e6 : 0) + path.length;
      const byVersion = new Map();
      for (const copy of copiesOf(tree, name)) {
        const known = byVersion.get(copy.version);
        if (known === undefined || rank(copy.path) < rank(known)) {
          byVersion.set(copy.version, copy.path);
        }
      }
      const versions = [...byVersion.keys()];
      if (versions.length !== 1) {
        const where = [...byVersion].map(([version, path]) => `${version}, e.g. ${path}`);
        throw new Error(`${versions.length} versions of ${name}:\n${where.join('\n')}`);
      }
      return versions[0];
    });
  }
  // Whatever the tree holds, what matters at run time is that bulwark brought no
  // copy of its own and loads the very modules the app's SDK does.
  await check(later[3], () => {
    const added = [...otelPackages(tree)].filter((p) => !before.has(p));
    if (added.length) throw new Error(`installing bulwark added ${added.join(', ')}`);
    // From bulwark, and from the app's own code: the same file each.
    const bases = () => ['node_modules/bulwark/package.json', 'package.json'];
    const pairs = SHARED.map((name) => [name, ...bases().map((base) => join(consumer, base))]);
    const out = runNode(
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const pairs = ${JSON.stringify(pairs)};
         console.log(JSON.stringify(pairs.map(([name, ...bases]) =>
           [name, ...bases.map((base) => createRequire(base).resolve(name))])));`,
      ],
      consumer,
    );
    const split = JSON.parse(out).filter(([, fromBulwark, fromApp]) => fromBulwark !== fromApp);
    if (split.length) throw new Error(`bulwark and the app load different copies: ${out}`);
  });
}

/**
 * The tree `npm ls --all --json` prints. It exits non-zero on any tree problem
 * (an invalid or missing peer); the JSON is the tree either way.
 */
function npmTree(cwd) {
  try {
    return JSON.parse(run('npm', ['ls', '--all', '--json'], cwd));
  } catch (error) {
    return JSON.parse(error.stdout || '{}');
  }
}

/** Every `@opentelemetry/name@version` in the tree. */
function otelPackages(tree, found = new Set()) {
  for (const [dep, node] of Object.entries(tree.dependencies ?? {})) {
    if (dep.startsWith('@opentelemetry/') && node.version) found.add(`${dep}@${node.version}`);
    otelPackages(node, found);
  }
  return found;
}

/** Every place `name` appears in an `npm ls --all --json` tree, with the chain that needs it. */
function copiesOf(tree, name, path = [], found = []) {
  for (const [dep, node] of Object.entries(tree.dependencies ?? {})) {
    const chain = [...path, `${dep}@${node.version}`];
    if (dep === name && node.version !== undefined) {
      found.push({ version: node.version, path: chain.join(' > ') });
    }
    copiesOf(node, name, chain, found);
  }
  return found;
}
