import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { invalidOption } from '../errors.js';

/** The OTLP/HTTP encodings bulwark exports with. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Where and how OTLP/HTTP exports go. Each field left out falls back to its `OTEL_*` variable. */
export interface OtlpOptions {
  /**
   * Base URL of the collector, like `OTEL_EXPORTER_OTLP_ENDPOINT`: `/v1/traces` and
   * `/v1/metrics` are appended. Default: the per-signal `OTEL_EXPORTER_OTLP_*_ENDPOINT`
   * (used as is), else `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318`.
   */
  endpoint?: string;
  /** Encoding. Default: `OTEL_EXPORTER_OTLP_*_PROTOCOL`, else `http/protobuf`. */
  protocol?: OtlpProtocol;
  /** Extra request headers, merged over `OTEL_EXPORTER_OTLP_*_HEADERS` (these win per key). */
  headers?: Readonly<Record<string, string>>;
  /**
   * Time one export may take, retries included, in milliseconds, so a slow or dead
   * collector never holds spans for long. Default: `OTEL_EXPORTER_OTLP_*_TIMEOUT`, else 10000.
   */
  timeoutMs?: number;
}

/** The Prometheus scrape endpoint. */
export interface PrometheusOptions {
  /**
   * Start bulwark's own scrape server. Default true. With `false` nothing listens and
   * the application serves `handle.metricsHandler` on its own port (`GET /metrics`).
   */
  listen?: boolean;
  /** Port of the scrape server. `0` picks a free port. Default: `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464. */
  port?: number;
  /** Interface of the scrape server. Default: `OTEL_EXPORTER_PROMETHEUS_HOST`, else all interfaces. */
  host?: string;
  /** Path of the scrape server. Default `/metrics`. */
  endpoint?: string;
}

/**
 * Options of `startTelemetry`. A field given here wins over its `OTEL_*` variable;
 * a field left out falls back to the variable, then to the default. The exceptions
 * are the resource attributes (`serviceName`, `serviceVersion`, `environment`): they
 * are defaults that `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` override, so
 * operators can rename a deployment without a rebuild. `OTEL_SDK_DISABLED=true` wins
 * over everything.
 *
 * Baggage: unless `OTEL_PROPAGATORS` says otherwise, only W3C trace context is
 * propagated. Upstream also registers the baggage propagator, with which every
 * instrumented HTTP client (http, undici) sends baggage to every host and any
 * caller can put baggage into your context. bulwark/fetch sends baggage itself,
 * to its `baggageOrigins` only; with another HTTP client, set the `baggage`
 * header yourself, and only for origins you trust.
 */
export interface TelemetryOptions {
  /** `service.name` (required, non-empty). `OTEL_SERVICE_NAME` overrides it. */
  serviceName: string;
  /** `service.version`. Default: none. */
  serviceVersion?: string;
  /** `deployment.environment.name`, such as `production`. Default: none. */
  environment?: string;
  /** Export traces. Default: per `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`), else on (OTLP). */
  traces?: boolean;
  /** Push metrics over OTLP. Default: on unless `OTEL_METRICS_EXPORTER` is set without `otlp`. */
  otlpMetrics?: boolean;
  /** Serve metrics for Prometheus. Default: on only when `OTEL_METRICS_EXPORTER` lists `prometheus`. */
  prometheus?: boolean | PrometheusOptions;
  /**
   * Export logs. Default false: bulwark writes no logs, and a log pipeline nobody
   * asked for costs memory and a connection. `true` follows `OTEL_LOGS_EXPORTER`
   * (default `otlp`).
   */
  logs?: boolean;
  /** OTLP/HTTP settings shared by traces and metrics. */
  otlp?: OtlpOptions;
  /** Interval between OTLP metric pushes, in milliseconds. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  metricExportIntervalMs?: number;
  /** Instrumentations to register (http, express, undici, pg, ioredis...). Default none. */
  instrumentations?: NodeSDKConfiguration['instrumentations'];
  /** Bound on `forceFlush()`, `shutdown()` and the exit flush, in milliseconds. Default 5000. */
  flushTimeoutMs?: number;
  /** Flush on `SIGTERM` and `beforeExit`. Default true. */
  flushOnExit?: boolean;
}

/** Defaults of {@link TelemetryOptions} that do not come from the environment. */
export const TELEMETRY_DEFAULTS = {
  logs: false,
  flushTimeoutMs: 5000,
  flushOnExit: true,
  prometheus: { listen: true, port: 9464, endpoint: '/metrics' },
} as const;

const SCOPE = 'startTelemetry';

/**
 * Validates the options a programmer wrote. Invalid code options reject at
 * startup (a bug to fix now); invalid environment values only warn, because an
 * operator's typo must never take the service down.
 */
export function validateTelemetryOptions(options: TelemetryOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(SCOPE, 'options', options, 'an object');
  }
  if (typeof options.serviceName !== 'string' || options.serviceName.trim() === '') {
    throw invalidOption(SCOPE, 'serviceName', options.serviceName, 'a non-empty string');
  }
  optionalString('serviceVersion', options.serviceVersion);
  optionalString('environment', options.environment);
  for (const field of ['traces', 'otlpMetrics', 'logs', 'flushOnExit'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'boolean') {
      throw invalidOption(SCOPE, field, options[field], 'a boolean');
    }
  }
  positiveInteger('flushTimeoutMs', options.flushTimeoutMs);
  positiveInteger('metricExportIntervalMs', options.metricExportIntervalMs);
  validateOtlp(options.otlp);
  validatePrometheus(options.prometheus);
}

function validateOtlp(otlp: OtlpOptions | undefined): void {
  if (otlp === undefined) return;
  if (otlp.endpoint !== undefined && !isHttpUrl(otlp.endpoint)) {
    throw invalidOption(SCOPE, 'otlp.endpoint', otlp.endpoint, 'an http(s) URL');
  }
  if (otlp.protocol !== undefined && !['http/protobuf', 'http/json'].includes(otlp.protocol)) {
    throw invalidOption(SCOPE, 'otlp.protocol', otlp.protocol, '"http/protobuf" or "http/json"');
  }
  positiveInteger('otlp.timeoutMs', otlp.timeoutMs);
}

function validatePrometheus(prometheus: TelemetryOptions['prometheus']): void {
  if (prometheus === undefined || typeof prometheus === 'boolean') return;
  if (typeof prometheus !== 'object' || prometheus === null) {
    throw invalidOption(SCOPE, 'prometheus', prometheus, 'a boolean or an object');
  }
  const { port, endpoint } = prometheus;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw invalidOption(SCOPE, 'prometheus.port', port, 'an integer from 0 to 65535');
  }
  if (endpoint !== undefined && (typeof endpoint !== 'string' || !endpoint.startsWith('/'))) {
    throw invalidOption(SCOPE, 'prometheus.endpoint', endpoint, 'a path starting with "/"');
  }
  optionalString('prometheus.host', prometheus.host);
}

function optionalString(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw invalidOption(SCOPE, field, value, 'a non-empty string');
  }
}

function positiveInteger(field: string, value: unknown): void {
  if (value !== undefined && (!Number.isInteger(value) || (value as number) <= 0)) {
    throw invalidOption(SCOPE, field, value, 'a positive integer');
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
