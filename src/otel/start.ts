import { context, metrics, propagation, trace } from '@opentelemetry/api';
import {
  getBooleanFromEnv,
  getStringListFromEnv,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { bounded, installExitFlush } from './exit-flush.js';
import { createPushReader, createSpanExporter } from './exporters.js';
import { idleHandle, metricsOff, type TelemetryHandle } from './handle.js';
import { TELEMETRY_DEFAULTS, type TelemetryOptions, validateTelemetryOptions } from './options.js';
import { createPrometheusEndpoint, type PrometheusEndpoint } from './prometheus.js';
import { activeTelemetry, foreignRegistrations, setActiveTelemetry } from './registry.js';
import { serviceResource } from './resource.js';
import { resolveSignals, type TelemetrySignals } from './signals.js';
import { type CountingSpanProcessor, createCountingSpanProcessor } from './span-export.js';
import { TenantSpanProcessor } from './tenant-span-processor.js';
import { telemetryViews } from './views.js';
import { warnOnce } from './warn.js';

/**
 * Starts OpenTelemetry for the process: NodeSDK with the service resource,
 * traces and metrics over OTLP/HTTP and/or a Prometheus endpoint, the tenant
 * span processor, HTTP duration buckets, and a bounded flush on `SIGTERM` and
 * `beforeExit`. Call it once, before loading the modules your instrumentations patch.
 *
 * It rejects only for invalid options (a programming error, `BULWARK_INVALID_OPTIONS`).
 * Telemetry failures never reach the application: the handle's `status` says what
 * happened (`started`, `disabled`, `already-started`, `foreign-sdk`, `failed`).
 *
 * @example
 * const telemetry = await startTelemetry({ serviceName: 'payments', prometheus: { listen: false } });
 * app.get('/metrics', telemetry.metricsHandler);
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  validateTelemetryOptions(options);
  if (getBooleanFromEnv('OTEL_SDK_DISABLED')) {
    return idleHandle('disabled', 'OTEL_SDK_DISABLED=true: no telemetry is exported');
  }
  const active = activeTelemetry();
  if (active !== undefined) {
    warnOnce('startTelemetry was called again: the running telemetry is kept and returned');
    return sharedHandle(active);
  }
  const foreign = foreignRegistrations();
  if (foreign.length > 0) {
    const reason = `another OpenTelemetry SDK registered ${foreign.join(', ')} first; bulwark left it in place (add TenantSpanProcessor to it)`;
    warnOnce(reason);
    return idleHandle('foreign-sdk', reason);
  }
  try {
    const started = startSdk(options);
    await started.listen();
    return started.handle;
  } catch (error) {
    disableGlobals();
    const reason = `telemetry could not start: ${(error as Error)?.message ?? String(error)}`;
    warnOnce(reason);
    return idleHandle('failed', reason);
  }
}

/** Builds and registers the SDK synchronously, so a concurrent second call sees it. */
function startSdk(options: TelemetryOptions) {
  const signals = resolveSignals(options);
  const exporting = signals.traces.map((name) =>
    createCountingSpanProcessor(createSpanExporter(name, options.otlp)),
  );
  const prometheus = signals.metrics.includes('prometheus')
    ? createPrometheusEndpoint(options.prometheus === undefined ? true : options.prometheus || true)
    : undefined;
  const readers = signals.metrics.flatMap((name) =>
    name === 'prometheus' ? (prometheus?.reader ?? []) : [createPushReader(name, options)],
  );
  const sdk = new NodeSDK({
    resource: serviceResource(options),
    spanProcessors: exporting.length > 0 ? [new TenantSpanProcessor(), ...exporting] : [],
    metricReaders: readers,
    views: telemetryViews(),
    // Empty array: no log pipeline. Undefined: NodeSDK follows OTEL_LOGS_EXPORTER.
    logRecordProcessors: signals.logs.length > 0 ? undefined : [],
    instrumentations: options.instrumentations ?? [],
    textMapPropagator: defaultPropagator(),
  });
  sdk.start();
  const handle = startedHandle({ options, signals, sdk, exporting, readers, prometheus });
  setActiveTelemetry(handle.handle);
  return handle;
}

/**
 * W3C trace context only, unless `OTEL_PROPAGATORS` says otherwise. Upstream
 * also registers the baggage propagator, which makes every instrumented HTTP
 * client send baggage to every host and puts callers' baggage into context;
 * bulwark/fetch sends baggage itself, to allow-listed origins only.
 */
function defaultPropagator() {
  return getStringListFromEnv('OTEL_PROPAGATORS') === undefined
    ? new W3CTraceContextPropagator()
    : undefined;
}

interface StartedParts {
  options: TelemetryOptions;
  signals: TelemetrySignals;
  sdk: NodeSDK;
  exporting: CountingSpanProcessor[];
  readers: { forceFlush(): Promise<void> }[];
  prometheus: PrometheusEndpoint | undefined;
}

function startedHandle(parts: StartedParts) {
  const timeoutMs = parts.options.flushTimeoutMs ?? TELEMETRY_DEFAULTS.flushTimeoutMs;
  let prometheusUrl: string | undefined;
  let stopped: Promise<void> | undefined;
  let uninstallExitFlush: (() => void) | undefined;
  const handle: TelemetryHandle = {
    status: 'started',
    signals: parts.signals,
    reason: undefined,
    get prometheusUrl() {
      return prometheusUrl;
    },
    metricsHandler: parts.prometheus?.handler ?? metricsOff,
    droppedSpans: () => parts.exporting.reduce((sum, p) => sum + p.droppedSpans(), 0),
    forceFlush() {
      if (stopped !== undefined) return stopped;
      const flushable = [...parts.exporting, ...parts.readers];
      return bounded(() => Promise.all(flushable.map((part) => part.forceFlush())), timeoutMs);
    },
    shutdown() {
      stopped ??= stop();
      return stopped;
    },
  };
  async function stop() {
    uninstallExitFlush?.();
    await bounded(() => parts.sdk.shutdown(), timeoutMs);
    await parts.prometheus?.close();
    disableGlobals();
    if (activeTelemetry() === handle) setActiveTelemetry(undefined);
  }
  if (parts.options.flushOnExit ?? TELEMETRY_DEFAULTS.flushOnExit) {
    uninstallExitFlush = installExitFlush({ flush: handle.forceFlush, shutdown: handle.shutdown });
  }
  const listen = async () => {
    prometheusUrl = await parts.prometheus?.listen();
  };
  return { handle, listen };
}

/** A second caller's view of the running telemetry: same controls, honest status. */
function sharedHandle(active: TelemetryHandle): TelemetryHandle {
  return {
    status: 'already-started',
    reason:
      'startTelemetry was already called in this process; this handle controls that telemetry',
    get signals() {
      return active.signals;
    },
    get prometheusUrl() {
      return active.prometheusUrl;
    },
    metricsHandler: active.metricsHandler,
    droppedSpans: () => active.droppedSpans(),
    forceFlush: () => active.forceFlush(),
    shutdown: () => active.shutdown(),
  };
}

/**
 * Unregisters the OTel globals so that telemetry can start again later in the
 * same process. The tenant context keeps working: it falls back to its own
 * AsyncLocalStorage when no context manager is registered.
 */
function disableGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}
