import type { IMetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { OtlpOptions, OtlpProtocol, TelemetryOptions } from './options.js';
import { sdk } from './sdk.js';
import type { TraceExporterName } from './signals.js';
import { warnOnce } from './warn.js';

type Signal = 'traces' | 'metrics';

/** Builds the span exporter for one entry of `signals.traces`. */
export function createSpanExporter(name: TraceExporterName, otlp: OtlpOptions = {}): SpanExporter {
  if (name === 'console') return new sdk.trace.ConsoleSpanExporter();
  const config = otlpConfig('traces', otlp);
  return otlpProtocol('traces', otlp) === 'http/json'
    ? new sdk.traceJson.OTLPTraceExporter(config)
    : new sdk.traceProto.OTLPTraceExporter(config);
}

/** Builds a periodic reader pushing metrics over OTLP/HTTP, or to the console. */
export function createPushReader(
  name: 'otlp' | 'console',
  options: TelemetryOptions,
): IMetricReader {
  const exportIntervalMillis =
    options.metricExportIntervalMs ?? positiveFromEnv('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  const exportTimeoutMillis = Math.min(
    positiveFromEnv('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000,
    exportIntervalMillis,
  );
  return new sdk.metrics.PeriodicExportingMetricReader({
    exporter:
      name === 'console'
        ? new sdk.metrics.ConsoleMetricExporter()
        : otlpMetricExporter(options.otlp),
    exportIntervalMillis,
    exportTimeoutMillis,
  });
}

function otlpMetricExporter(otlp: OtlpOptions = {}): PushMetricExporter {
  const config = otlpConfig('metrics', otlp);
  return otlpProtocol('metrics', otlp) === 'http/json'
    ? new sdk.metricsJson.OTLPMetricExporter(config)
    : new sdk.metricsProto.OTLPMetricExporter(config);
}

/**
 * Only the fields given in code are passed: the exporters themselves fall back
 * to the `OTEL_EXPORTER_OTLP_*` variables and upstream defaults for the rest.
 */
function otlpConfig(signal: Signal, otlp: OtlpOptions) {
  const config: { url?: string; headers?: Record<string, string>; timeoutMillis?: number } = {};
  if (otlp.endpoint !== undefined) config.url = `${otlp.endpoint.replace(/\/+$/, '')}/v1/${signal}`;
  if (otlp.headers !== undefined) config.headers = { ...otlp.headers };
  if (otlp.timeoutMs !== undefined) config.timeoutMillis = otlp.timeoutMs;
  return config;
}

function otlpProtocol(signal: Signal, otlp: OtlpOptions): OtlpProtocol {
  const variable = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  const chosen =
    otlp.protocol ??
    sdk.core.getStringFromEnv(variable) ??
    sdk.core.getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (chosen === undefined || chosen === 'http/protobuf' || chosen === 'http/json') {
    return chosen ?? 'http/protobuf';
  }
  warnOnce(
    `OTLP protocol "${chosen}" is not supported (bulwark exports OTLP/HTTP); using http/protobuf`,
  );
  return 'http/protobuf';
}

function positiveFromEnv(name: string): number | undefined {
  const value = sdk.core.getNumberFromEnv(name);
  if (value === undefined) return undefined;
  if (value > 0) return value;
  warnOnce(`${name}=${value} is not a positive number; using the default`);
  return undefined;
}
