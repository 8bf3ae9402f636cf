/**
 * Zero-code: a project with bulwark, the SDK packages (installed with the very
 * command bulwark's BULWARK_OTEL_SDK_MISSING error prints) and the
 * auto-instrumentations, whose app is started with
 * `node --import bulwark/otel/register`. Its spans must reach a real OTLP/HTTP
 * receiver with the tenant on them, the auto-instrumented http client span
 * included. And started under the auto-instrumentations' own register instead,
 * `startTelemetry` must stand aside and say how to get the tenant back.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import {
  check,
  fixtures,
  freshConsumer,
  npmInstall,
  runNodeAsync,
  sdkPackages,
  skipped,
} from './harness.mjs';
import { startOtlpReceiver } from './otlp-receiver.mjs';

const AUTO = '@opentelemetry/auto-instrumentations-node';
const TENANT = { 'tenant.id': 't-zero', 'tenant.jurisdiction': 'DE', 'transaction.type': 'payout' };
const SPAN_KIND_CLIENT = 3;

export async function zeroCodeChecks({ work, tarball }) {
  console.log('zero-code (node --import bulwark/otel/register, with the auto-instrumentations):');
  const consumer = freshConsumer(work, 'zero-code');
  const later = [
    'an ESM app under --import bulwark/otel/register exits 0 and exports over OTLP/HTTP',
    'the auto-instrumented http client span carries the tenant (t-zero, DE, payout)',
    "the app's own @opentelemetry/api span carries the tenant",
    'under --import auto-instrumentations-node/register, startTelemetry reports foreign-sdk',
    'the foreign-sdk warning names --import bulwark/otel/register and TenantSpanProcessor',
  ];
  const installed = await check(
    `npm install <tarball> ${sdkPackages.length} SDK packages ${AUTO}`,
    () => void npmInstall(consumer, [tarball, ...sdkPackages, AUTO]),
  );
  if (!installed) return skipped(later, 'the install failed');
  cpSync(fixtures, join(consumer, 'fixtures'), { recursive: true });

  const receiver = await startOtlpReceiver();
  try {
    const env = otelEnv({
      OTEL_SERVICE_NAME: 'zero-code',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const app = await runNodeAsync(
      ['--import', 'bulwark/otel/register', 'fixtures/zero-code-app.mjs'],
      consumer,
      env,
    );
    const ran = await check(later[0], () => {
      if (app.code !== 0) throw failure(`exit ${app.code ?? app.signal}`, app);
      if (receiver.spans.length === 0) throw failure('no span arrived', app);
      return `${receiver.spans.length} spans`;
    });
    if (!ran) return skipped(later.slice(1), 'the app did not export');
    const seen = () => receiver.spans.map((s) => `${s.scope} ${s.name} kind=${s.kind}`).join('\n');
    await check(later[1], () => {
      const client = receiver.spans.find(
        (s) => s.scope === '@opentelemetry/instrumentation-http' && s.kind === SPAN_KIND_CLIENT,
      );
      if (client === undefined) throw new Error(`no http client span among:\n${seen()}`);
      assertTenant(client);
    });
    await check(later[2], () => {
      const own = receiver.spans.find((s) => s.name === 'zero-code.payout');
      if (own === undefined) throw new Error(`no zero-code.payout span among:\n${seen()}`);
      assertTenant(own);
    });

    const foreign = await runNodeAsync(
      ['--import', `${AUTO}/register`, 'fixtures/foreign-sdk-app.mjs'],
      consumer,
      env,
    );
    await check(later[3], () => {
      if (foreign.code !== 0) throw failure(`exit ${foreign.code}`, foreign);
      const { status } = JSON.parse(foreign.stdout.trim().split('\n').at(-1));
      if (status !== 'foreign-sdk') throw failure(`status ${status}`, foreign);
    });
    await check(later[4], () => {
      const warning = foreign.stderr.split('\n').find((line) => line.includes('[BULWARK_OTEL]'));
      if (warning === undefined) throw failure('no BULWARK_OTEL warning', foreign);
      for (const wayOut of ['--import bulwark/otel/register', 'TenantSpanProcessor']) {
        if (!warning.includes(wayOut))
          throw new Error(`the warning does not name ${wayOut}: ${warning}`);
      }
    });
  } finally {
    await receiver.close();
  }
}

/** An error that shows what the child printed, below `message`. */
function failure(message, child) {
  return Object.assign(new Error(message), {
    stdout: child.stdout,
    stderr: `${message}\n${child.stderr}`,
  });
}

function assertTenant(span) {
  for (const [key, value] of Object.entries(TENANT)) {
    if (span.attributes[key] !== value) {
      throw new Error(
        `${span.name}: ${key}=${span.attributes[key]} (expected ${value}); attributes ${JSON.stringify(span.attributes)}`,
      );
    }
  }
}

/**
 * This process's environment without any `OTEL_*` of its own, plus `vars`; the
 * resource detectors stay local (no cloud metadata lookups: 127.0.0.1 only).
 */
function otelEnv(vars) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')),
  );
  return { ...env, OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process', ...vars };
}
