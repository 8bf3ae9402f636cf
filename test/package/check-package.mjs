#!/usr/bin/env node
/**
 * Tests the package as shipped: packs the built `dist/` once into a tarball,
 * installs that tarball into a throwaway consumer project outside the repo,
 * and proves every subpath imports (ESM and require(esm)), type-checks under
 * `nodenext`, passes publint and attw, that the root import loads no optional
 * peer, and that the README's TypeScript snippets type-check.
 *
 * Prints one line per check and a closing `package checks: N passed, N failed`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'bulwark' : `bulwark/${key.slice(2)}`));

let passed = 0;
let failed = 0;
function check(name, fn) {
  try {
    fn();
    passed++;
    console.log(`  ✓ ${name}`);
  } catch (error) {
    failed++;
    console.log(
      `  ✗ ${name}\n${indent(String(error.stdout ?? ''))}${indent(String(error.stderr ?? error.message))}`,
    );
  }
}
const indent = (text) => (text.trim() ? `${text.trim().replace(/^/gm, '      ')}\n` : '');
function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const work = mkdtempSync(join(tmpdir(), 'bulwark-package-'));
try {
  console.log('package checks (on the packed tarball):');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0];
  const tarball = join(work, packed.filename);
  console.log(
    `  tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`,
  );

  check('publint passes on the tarball', () =>
    run(bin('publint'), ['run', tarball, '--strict'], root),
  );
  check('attw passes on the tarball (esm-only profile)', () =>
    run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], root),
  );
  check('the tarball holds no source maps of tests or stray files', () => {
    const stray = packed.files
      .map((f) => f.path)
      .filter((p) => !/^(dist\/|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(p));
    if (stray.length) throw new Error(`unexpected files: ${stray.join(', ')}`);
  });

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  const devVersions = pkg.devDependencies;
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      tarball,
      `@opentelemetry/api@${devVersions['@opentelemetry/api']}`,
      `@types/node@${devVersions['@types/node']}`,
      `@types/express@${devVersions['@types/express']}`,
      `@types/pg@${devVersions['@types/pg']}`,
      // Types only, for the README's Fastify snippets: bulwark/fastify loads no fastify itself.
      `fastify@${devVersions.fastify}`,
    ],
    consumer,
  );

  for (const spec of subpaths) {
    check(`import('${spec}') under ESM`, () =>
      run(process.execPath, ['--input-type=module', '-e', `await import('${spec}')`], consumer),
    );
    check(`require('${spec}') under CommonJS`, () =>
      run(
        process.execPath,
        ['--input-type=commonjs', '--no-warnings', '-e', `require('${spec}')`],
        consumer,
      ),
    );
  }

  const forbidden =
    /node_modules\/(@opentelemetry\/(sdk-|exporter-|resources|core\/)|express|fastify|pg|ioredis|redis|@redis)\b/;
  const loadedBy = (spec) => {
    cpSync(join(here, 'fixtures'), join(consumer, 'fixtures'), { recursive: true });
    const out = run(process.execPath, ['fixtures/root-loads.mjs', spec], consumer);
    const loaded = JSON.parse(out);
    if (loaded.length < 2) throw new Error(`the loader hook saw too little to be trusted: ${out}`);
    return loaded.filter((url) => forbidden.test(url));
  };
  check('importing the root loads no optional peer (SDK, express, fastify, pg, redis)', () => {
    const bad = loadedBy('bulwark');
    if (bad.length) throw new Error(`root import loaded: ${bad.join(', ')}`);
  });
  check('the same loader check sees the SDK load under bulwark/otel (so it can fail)', () => {
    const seen = loadedBy('bulwark/otel');
    if (!seen.some((url) => url.includes('@opentelemetry/sdk-node'))) {
      throw new Error(`bulwark/otel loaded no @opentelemetry/sdk-node: ${seen.join(', ')}`);
    }
  });
  for (const spec of [
    'bulwark/express',
    'bulwark/fastify',
    'bulwark/fetch',
    'bulwark/redis',
    'bulwark/postgres',
    'bulwark/slo',
  ]) {
    check(`importing ${spec} loads no SDK, express, fastify, pg or Redis client`, () => {
      const bad = loadedBy(spec);
      if (bad.length) throw new Error(`${spec} loaded: ${bad.join(', ')}`);
    });
  }

  check('a TypeScript consumer type-checks against the shipped .d.ts (nodenext)', () => {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(
      join(consumer, 'consumer.ts'),
      readFileSync(join(here, 'fixtures/consumer.ts'), 'utf8'),
    );
    const snippets = readmeSnippets();
    if (snippets.length === 0) throw new Error('README.md has no ```ts snippets to check');
    for (const [i, code] of snippets.entries()) {
      writeFileSync(
        join(consumer, `readme-${i + 1}.ts`),
        `export {};
${code}`,
      );
    }
    const result = spawnSync(bin('tsc'), ['-p', consumer], { encoding: 'utf8' });
    if (result.status !== 0)
      throw Object.assign(new Error('tsc failed'), { stdout: result.stdout });
    console.log(`    (consumer.ts and ${snippets.length} README snippets)`);
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`package checks: ${passed} passed, ${failed} failed`);
if (process.env.BULWARK_PACKAGE_REPORT) {
  const report = { numPassedTests: passed, numFailedTests: failed, success: failed === 0 };
  writeFileSync(process.env.BULWARK_PACKAGE_REPORT, JSON.stringify(report));
}
process.exit(failed === 0 ? 0 : 1);

function readmeSnippets() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}
