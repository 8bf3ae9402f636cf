/**
 * Types per consumer shape: each subpath type-checks (`skipLibCheck: false`)
 * with only its own peers installed, under every module setting a TypeScript
 * project uses today; the CommonJS shapes are also compiled and run, since
 * Node >= 22.12 lets them `require()` the ESM-only package.
 *
 * Subpaths that need the same peers share one consumer (and one program per
 * shape): `bulwark`, `/fetch`, `/redis`, `/postgres`, `/slo` need only
 * `@opentelemetry/api`; `/express` adds `@types/express`; `/otel` and
 * `/otel/register` add the SDK packages. `@types/node` everywhere.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bin,
  check,
  devSpec,
  fixtures,
  freshConsumer,
  npmInstall,
  runAsync,
  runNode,
  sdkPackages,
  skipped,
} from './harness.mjs';

const CONSUMERS = [
  {
    name: 'types-core',
    subpaths: [
      'bulwark',
      'bulwark/fetch',
      'bulwark/redis',
      'bulwark/postgres',
      'bulwark/slo',
      'bulwark/status',
      'bulwark/idempotency',
      'bulwark/resilience',
    ],
    files: ['root', 'fetch', 'redis', 'postgres', 'slo', 'status', 'idempotency', 'resilience'],
    peers: [],
    peersLabel: '@opentelemetry/api only',
  },
  {
    name: 'types-express',
    subpaths: ['bulwark/express'],
    files: ['express'],
    peers: [devSpec('@types/express')],
    peersLabel: '+ @types/express',
  },
  {
    name: 'types-fastify',
    subpaths: ['bulwark/fastify'],
    files: ['fastify'],
    peers: [devSpec('fastify')],
    peersLabel: '+ fastify',
  },
  {
    name: 'types-otel',
    subpaths: ['bulwark/otel', 'bulwark/otel/register'],
    files: ['otel', 'otel-register'],
    peers: sdkPackages.map(devSpec),
    peersLabel: '+ the SDK packages',
  },
];

/**
 * `ext` is the source files' extension (`.cts` is a CommonJS module under
 * nodenext even in a `"type": "module"` project); `runs` compiles the shape and
 * requires its output, with `outExt` the extension tsc gives it.
 */
const SHAPES = [
  { name: 'module nodenext', options: { module: 'nodenext' } },
  { name: 'module node16', options: { module: 'node16' } },
  {
    name: 'module esnext, moduleResolution bundler',
    options: { module: 'esnext', moduleResolution: 'bundler' },
  },
  { name: 'module preserve', options: { module: 'preserve' } },
  // node10 resolution: the subpaths are found through `typesVersions`, the root through `types`.
  // esModuleInterop as `tsc --init` sets it: fastify's own dependencies (pino) need it there.
  {
    name: 'module commonjs (esModuleInterop)',
    options: { module: 'commonjs', esModuleInterop: true },
    runs: true,
    outExt: '.js',
  },
  {
    name: 'module nodenext, CommonJS files (.cts)',
    options: { module: 'nodenext' },
    ext: '.cts',
    runs: true,
    outExt: '.cjs',
  },
];

export async function typeShapeChecks({ work, tarball }) {
  // Install one consumer after another, then type-check the three at once: tsc
  // is the slow part, and each is one single-threaded process.
  const prepared = CONSUMERS.map((consumer) => prepare(work, tarball, consumer));
  const diagnostics = await Promise.all(
    prepared.map(({ dir, dirs, installError }) =>
      installError === undefined ? typeCheck(dir, dirs) : undefined,
    ),
  );
  for (const [i, consumer] of CONSUMERS.entries()) {
    await report(consumer, prepared[i], diagnostics[i]);
  }
}

/** A fresh consumer with its peers installed and one project per shape written. */
function prepare(work, tarball, { name, files, peers }) {
  const dir = freshConsumer(work, name);
  const specs = [tarball, devSpec('@opentelemetry/api'), devSpec('@types/node'), ...peers];
  const label = `npm install <tarball> ${specs.slice(1).join(' ')}`;
  try {
    npmInstall(dir, specs);
  } catch (installError) {
    return { dir, label, installError };
  }
  return { dir, label, dirs: SHAPES.map((shape) => writeShape(dir, shape, files)) };
}

async function report({ subpaths, files, peersLabel }, prepared, diagnostics) {
  console.log(`types of ${subpaths.join(', ')} (${peersLabel}, @types/node; skipLibCheck false):`);
  const { dir: consumer, dirs, label, installError } = prepared;
  if (
    !(await check(label, () => {
      if (installError) throw installError;
    }))
  ) {
    return skipped(
      SHAPES.map((shape) => shape.name),
      'the install failed',
    );
  }
  for (const [i, shape] of SHAPES.entries()) {
    const typed = await check(`${shape.name}: type-checks`, () => {
      const errors = diagnostics.get(dirs[i]);
      if (errors) throw new Error(errors);
    });
    if (!shape.runs) continue;
    if (!typed) {
      skipped([`${shape.name}: the compiled output runs`], 'it did not compile');
      continue;
    }
    await check(`${shape.name}: the compiled output runs on Node (require(esm))`, () => {
      const dir = join(consumer, dirs[i]);
      // A `"type": "module"` project would load the emitted .js as ESM; this output is CommonJS.
      writeFileSync(join(dir, 'out/package.json'), '{ "type": "commonjs" }\n');
      const requires = files.map((file) => `require('./out/${file}${shape.outExt}');`).join(' ');
      // bulwark/otel/register starts telemetry on load; disabled, it must still load.
      void runNode(['-e', requires], dir, { env: { OTEL_SDK_DISABLED: 'true' } });
    });
  }
}

/** Writes one shape's project (its tsconfig and a copy of the fixtures) and returns its directory name. */
function writeShape(consumer, shape, files) {
  const dirName = shape.name.replace(/\W+/g, '-');
  const dir = join(consumer, dirName);
  mkdirSync(dir);
  const ext = shape.ext ?? '.ts';
  for (const file of files) {
    copyFileSync(join(fixtures, 'types', `${file}.ts`), join(dir, file + ext));
  }
  const compilerOptions = {
    ...shape.options,
    target: 'ES2022',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    ...(shape.runs ? { outDir: 'out' } : { noEmit: true }),
  };
  const tsconfig = { compilerOptions, files: files.map((file) => file + ext) };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  return dirName;
}

/**
 * Type-checks every shape's project in one `tsc --build` (the SDK's declarations
 * are parsed once, not once per shape) and returns each failing project's
 * errors by directory name. `--verbose` heads each project's diagnostics with
 * "Building project '<dir>/tsconfig.json'", which is how they are told apart:
 * an error in a shipped .d.ts names no shape in its path.
 */
async function typeCheck(consumer, dirs) {
  const build = await runAsync(bin('tsc'), ['--build', '--verbose', ...dirs], consumer, {
    timeoutMs: 240_000,
  });
  const output = `${build.stdout}${build.stderr}`;
  const failed = build.code !== 0;
  const byDir = new Map();
  let current;
  for (const line of output.split('\n')) {
    const header = /Building project '(.*)[\\/]tsconfig\.json'/.exec(line);
    if (header) current = dirs.find((dir) => header[1].endsWith(`/${dir}`));
    else if (/^\S.* - Project '/.test(line)) current = undefined;
    else if (current !== undefined && line.trim() !== '') {
      byDir.set(current, `${byDir.get(current) ?? ''}${line}\n`);
    }
  }
  for (const [dir, text] of byDir) if (!/error TS\d+/.test(text)) byDir.delete(dir);
  // A failed build whose errors belong to no project fails every shape, with its output.
  if (failed && byDir.size === 0) {
    for (const dir of dirs) byDir.set(dir, output || `tsc exited ${build.code ?? build.signal}`);
  }
  return byDir;
}
