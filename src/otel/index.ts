/**
 * `bulwark/otel`: one-call OpenTelemetry setup (`startTelemetry`), the tenant
 * span processor, the metric cardinality guard and Prometheus exposition.
 * Loads `@opentelemetry/sdk-node` and the exporters; the root `bulwark` entry never does.
 */

export type { TenantGuard, TenantGuardOptions } from '../telemetry/tenant-guard.js';
export { createTenantGuard } from '../telemetry/tenant-guard.js';
export type { TelemetryHandle, TelemetryStatus } from './handle.js';
export type {
  OtlpOptions,
  OtlpProtocol,
  PrometheusOptions,
  TelemetryOptions,
} from './options.js';
export type { MetricsHandler } from './prometheus.js';
export type {
  LogExporterName,
  MetricExporterName,
  TelemetrySignals,
  TraceExporterName,
} from './signals.js';
export { startTelemetry } from './start.js';
export { TenantSpanProcessor } from './tenant-span-processor.js';
