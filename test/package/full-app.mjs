/**
 * A full application: bulwark with every optional peer it integrates with, at
 * the versions the repository tests (the SDK, Express 5 and, through the alias
 * `express4@npm:express@^4`, Express 4, and the type packages). Every subpath
 * imports (ESM) and requires (require(esm)); the root and the framework
 * subpaths load no optional peer; Express apps of both majors record route
 * templates through a mounted router; the README's snippets type-check.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bin,
  check,
  devSpec,
  fixtures,
  freshConsumer,
  here,
  npmInstall,
  root,
  run,
  runNode,
  sdkPackages,
  skipped,
  subpaths,
} from './harness.mjs';

const REGISTER = 'bulwark/otel/register';
const ROUTED_REQUESTS = 100;

export async function fullAppChecks({ work, tarball }) {
  console.log('full application (the SDK, Express 4 and 5, the type packages):');
  const consumer = freshConsumer(work, 'full-app');
  const specs = [
    tarball,
    devSpec('@opentelemetry/api'),
    ...sdkPackages.map(devSpec),
    devSpec('express'),
    'express4@npm:express@^4',
    devSpec('@types/node'),
    devSpec('@types/express'),
    devSpec('@types/pg'),
    // The README's logging snippets (a pino mixin, a winston format) type-check against them.
    // Types only, for the README's Fastify snippets: bulwark/fastify loads no fastify itself.
    devSpec('fastify'),
    devSpec('pino'),
    devSpec('winston'),
  ];
  if (
    !(await check(
      'npm install <tarball>, the SDK, express 5 and 4, types',
      () => void npmInstall(consumer, specs),
    ))
  ) {
    return skipped(['every other full-application check'], 'the install failed');
  }
  cpSync(fixtures, join(consumer, 'fixtures'), { recursive: true });

  for (const spec of subpaths.filter((s) => s !== REGISTER)) {
    await check(
      `import('${spec}') under ESM`,
      () => void runNode(['--input-type=module', '-e', `await import('${spec}')`], consumer),
    );
    await check(
      `require('${spec}') under CommonJS`,
      () => void runNode(['--input-type=commonjs', '-e', `require('${spec}')`], consumer),
    );
  }
  // It starts telemetry on import, so only where OTEL_SDK_DISABLED makes that a no-op.
  const disabled = { env: { OTEL_SDK_DISABLED: 'true' } };
  await check(
    `import('${REGISTER}') with OTEL_SDK_DISABLED=true exits 0`,
    () =>
      void runNode(
        ['--input-type=module', '-e', `await import('${REGISTER}')`],
        consumer,
        disabled,
      ),
  );
  await check(
    `require('${REGISTER}') with OTEL_SDK_DISABLED=true exits 0`,
    () =>
      void runNode(['--input-type=commonjs', '-e', `require('${REGISTER}')`], consumer, disabled),
  );

  await loaderChecks(consumer);

  for (const express of ['express', 'express4']) {
    await check(
      `Express ${express === 'express' ? 5 : 4}: ${ROUTED_REQUESTS} requests through a mounted router count under http_route="/v1/transfers/:id"`,
      () => {
        const text = runNode(['fixtures/express-app.mjs', express], consumer);
        const routed = requestCount(text, '/v1/transfers/:id');
        const subApp = requestCount(text, '/admin/accounts/:accountId');
        if (routed !== ROUTED_REQUESTS || subApp !== 5) {
          throw new Error(
            `counted ${routed} under /v1/transfers/:id and ${subApp} under /admin/accounts/:accountId (expected ${ROUTED_REQUESTS} and 5):\n${durationLines(text)}`,
          );
        }
        return 'and 5 through a sub-app under /admin/accounts/:accountId';
      },
    );
  }

  await check(
    'consumer.ts and the README snippets type-check (nodenext, skipLibCheck false)',
    () => {
      writeFileSync(
        join(consumer, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
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
        readFileSync(join(here, 'fixtures/consumer.ts')),
      );
      const snippets = readmeSnippets();
      if (snippets.length === 0) throw new Error('README.md has no ```ts snippets to check');
      for (const [i, code] of snippets.entries()) {
        writeFileSync(join(consumer, `readme-${i + 1}.ts`), `export {};\n${code}`);
      }
      run(bin('tsc'), ['-p', consumer], consumer, { timeoutMs: 120_000 });
      return `${snippets.length} README snippets`;
    },
  );
}

/** The loader-hook checks: what each subpath really loads, seen by a module resolve hook. */
async function loaderChecks(consumer) {
  const forbidden =
    /node_modules\/(@opentelemetry\/(sdk-|exporter-|resources|core\/)|express|fastify|pg|ioredis|redis|@redis)\b/;
  const loadedBy = (spec) => {
    const out = runNode(['fixtures/root-loads.mjs', spec], consumer);
    const loaded = JSON.parse(out);
    if (loaded.length < 2) throw new Error(`the loader hook saw too little to be trusted: ${out}`);
    return loaded.filter((url) => forbidden.test(url));
  };
  await check('importing the root loads no optional peer (SDK, express, pg, redis)', () => {
    const bad = loadedBy('bulwark');
    if (bad.length) throw new Error(`root import loaded: ${bad.join(', ')}`);
  });
  await check('the same loader check sees the SDK load under bulwark/otel (so it can fail)', () => {
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
    'bulwark/status',
    'bulwark/idempotency',
    'bulwark/resilience',
  ]) {
    await check(`importing ${spec} loads no SDK, express, fastify, pg or Redis client`, () => {
      const bad = loadedBy(spec);
      if (bad.length) throw new Error(`${spec} loaded: ${bad.join(', ')}`);
    });
  }
}

/** The request count of `route` in Prometheus text, over every series (method, status, tenant). */
function requestCount(text, route) {
  const series = new RegExp(
    `^http_server_request_duration(?:_seconds)?_count\\{[^}]*http_route="${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^}]*\\} (\\d+)`,
    'gm',
  );
  return [...text.matchAll(series)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const durationLines = (text) =>
  text
    .split('\n')
    .filter((line) => /^http_server_request_duration\S*_count/.test(line))
    .join('\n') || '(no http_server_request_duration series)';

function readmeSnippets() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}
