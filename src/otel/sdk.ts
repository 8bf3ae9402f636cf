import { createRequire } from 'node:module';
import { BulwarkError, ErrorCode } from '../errors.js';

/**
 * The OpenTelemetry SDK packages `bulwark/otel` runs on. They are optional peer
 * dependencies, so that a service using only the root entry, `bulwark/express`,
 * `bulwark/fetch` or a store installs no SDK. This file is the only place that
 * loads them: it checks every one at import time and throws one error naming
 * the whole install command, instead of letting Node fail on the first missing
 * module with a message that names neither bulwark nor the others.
 *
 * They are loaded with `require` (every OpenTelemetry package ships CommonJS)
 * because a static `import` of a missing package fails while Node links the
 * module graph, before any of bulwark's code could explain what to install.
 */
export const SDK_PACKAGES = [
  '@opentelemetry/sdk-node',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/resources',
  '@opentelemetry/core',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/exporter-metrics-otlp-proto',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/exporter-prometheus',
] as const;

/** The SDK modules, typed as their packages declare them. */
export interface OtelSdk {
  node: typeof import('@opentelemetry/sdk-node');
  trace: typeof import('@opentelemetry/sdk-trace');
  metrics: typeof import('@opentelemetry/sdk-metrics');
  resources: typeof import('@opentelemetry/resources');
  core: typeof import('@opentelemetry/core');
  traceProto: typeof import('@opentelemetry/exporter-trace-otlp-proto');
  traceJson: typeof import('@opentelemetry/exporter-trace-otlp-http');
  metricsProto: typeof import('@opentelemetry/exporter-metrics-otlp-proto');
  metricsJson: typeof import('@opentelemetry/exporter-metrics-otlp-http');
  prometheus: typeof import('@opentelemetry/exporter-prometheus');
}

const requireFromHere = createRequire(import.meta.url);

/** Throws a `BULWARK_OTEL_SDK_MISSING` error listing every SDK package that cannot be found. */
export function assertSdkInstalled(): void {
  const missing = SDK_PACKAGES.filter((name) => !resolvable(name));
  if (missing.length === 0) return;
  throw new BulwarkError(
    ErrorCode.OtelSdkMissing,
    `bulwark/otel needs the OpenTelemetry SDK, and ${missing.join(', ')} ${
      missing.length === 1 ? 'is' : 'are'
    } not installed. Install it with: npm install ${SDK_PACKAGES.join(' ')}`,
  );
}

function resolvable(name: string): boolean {
  try {
    requireFromHere.resolve(name);
    return true;
  } catch {
    return false;
  }
}

function loadSdk(): OtelSdk {
  assertSdkInstalled();
  return {
    node: requireFromHere('@opentelemetry/sdk-node'),
    trace: requireFromHere('@opentelemetry/sdk-trace'),
    metrics: requireFromHere('@opentelemetry/sdk-metrics'),
    resources: requireFromHere('@opentelemetry/resources'),
    core: requireFromHere('@opentelemetry/core'),
    traceProto: requireFromHere('@opentelemetry/exporter-trace-otlp-proto'),
    traceJson: requireFromHere('@opentelemetry/exporter-trace-otlp-http'),
    metricsProto: requireFromHere('@opentelemetry/exporter-metrics-otlp-proto'),
    metricsJson: requireFromHere('@opentelemetry/exporter-metrics-otlp-http'),
    prometheus: requireFromHere('@opentelemetry/exporter-prometheus'),
  };
}

/** The loaded SDK. Importing this module throws when a package is missing. */
export const sdk: OtelSdk = loadSdk();
