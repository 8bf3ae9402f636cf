import { logs } from '@opentelemetry/api';
import { createPushReader, createSpanExporter } from './exporters.js';
import { idleHandle, sharedHandle, type TelemetryHandle } from './handle.js';
import { type TelemetryOptions, validateTelemetryOptions } from './options.js';
import { createPrometheusEndpoint } from './prometheus.js';
import {
  activeTelemetry,
  foreignRegistrations,
  loggerProviderRegistered,
  setActiveTelemetry,
} from './registry.js';
import { serviceResource } from './resource.js';
import { sdk } from './sdk.js';
import { resolveSignals } from './signals.js';
import { createCountingSpanProcessor } from './span-export.js';
import { disableGlobals, startedHandle } from './started-handle.js';
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
  if (sdk.core.getBooleanFromEnv('OTEL_SDK_DISABLED')) {
    return idleHandle('disabled', 'OTEL_SDK_DISABLED=true: no telemetry is exported');
  }
  const active = activeTelemetry();
  if (active !== undefined) {
    warnOnce('startTelemetry was called again: the running telemetry is kept and returned');
    return sharedHandle(active);
  }
  const foreign = foreignRegistrations();
  if (foreign.length > 0) {
    // Name both ways out: an SDK started before bulwark is usually a `--import` of
    // someone else's register module, which bulwark's own register replaces.
    const reason = `another OpenTelemetry SDK registered ${foreign.join(', ')} first; bulwark left it in place, so its spans carry no tenant attributes unless it runs TenantSpanProcessor. Either start telemetry with bulwark instead (node --import bulwark/otel/register app.js, in place of the other SDK's --import), or add new TenantSpanProcessor() from bulwark/otel to the spanProcessors of your own NodeSDK`;
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
  const nodeSdk = new sdk.node.NodeSDK({
    resource: serviceResource(options),
    spanProcessors: exporting.length > 0 ? [new TenantSpanProcessor(), ...exporting] : [],
    metricReaders: readers,
    views: telemetryViews(),
    // Empty array: no log pipeline. Undefined: NodeSDK follows OTEL_LOGS_EXPORTER.
    logRecordProcessors: signals.logs.length > 0 ? undefined : [],
    instrumentations: options.instrumentations ?? [],
    textMapPropagator: defaultPropagator(),
  });
  const logsWereFree = !loggerProviderRegistered();
  nodeSdk.start();
  // NodeSDK registers a logger provider even with no processors; with logs off,
  // leave the global free for the application's own logging setup.
  if (signals.logs.length === 0 && logsWereFree) logs.disable();
  const ownsLogs = signals.logs.length > 0 && logsWereFree;
  const handle = startedHandle({
    options,
    signals,
    sdk: nodeSdk,
    exporting,
    readers,
    prometheus,
    ownsLogs,
  });
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
  return sdk.core.getStringListFromEnv('OTEL_PROPAGATORS') === undefined
    ? new sdk.core.W3CTraceContextPropagator()
    : undefined;
}
