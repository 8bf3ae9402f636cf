import type { TelemetryOptions } from './options.js';
import { sdk } from './sdk.js';
import { warnOnce } from './warn.js';

/** Exporters a trace pipeline can use. */
export type TraceExporterName = 'otlp' | 'console';
/** Exporters a metric pipeline can use. */
export type MetricExporterName = 'otlp' | 'prometheus' | 'console';
/** Exporters a log pipeline can use. */
export type LogExporterName = 'otlp' | 'console';

/**
 * Which signals `startTelemetry` turned on, and where each goes. An empty list
 * means the signal is off.
 */
export interface TelemetrySignals {
  readonly traces: readonly TraceExporterName[];
  readonly metrics: readonly MetricExporterName[];
  readonly logs: readonly LogExporterName[];
}

/** The signals of a handle that started nothing. */
export const NO_SIGNALS: TelemetrySignals = Object.freeze({
  traces: Object.freeze([]),
  metrics: Object.freeze([]),
  logs: Object.freeze([]),
});

/**
 * Decides the signals from the options and the `OTEL_*_EXPORTER` variables:
 * an option given in code wins; left out, the variable decides with upstream's
 * meaning; logs alone default to off (see `TelemetryOptions.logs`).
 */
export function resolveSignals(options: TelemetryOptions): TelemetrySignals {
  return Object.freeze({
    traces: Object.freeze(resolveTraces(options.traces)),
    metrics: Object.freeze(resolveMetrics(options)),
    logs: Object.freeze(resolveLogs(options.logs)),
  });
}

function resolveTraces(option: boolean | undefined): TraceExporterName[] {
  if (option === false) return [];
  const listed = envList('OTEL_TRACES_EXPORTER').filter((name) => name !== 'null');
  if (listed.length === 1 && listed[0] === 'none') return option === true ? ['otlp'] : [];
  if (listed.includes('none')) {
    warnOnce('OTEL_TRACES_EXPORTER lists "none" with other exporters; using "otlp" alone');
    return ['otlp'];
  }
  const known = supported('OTEL_TRACES_EXPORTER', listed, ['otlp', 'console']);
  return known.length > 0 ? known : ['otlp'];
}

function resolveMetrics(options: TelemetryOptions): MetricExporterName[] {
  const listed = envList('OTEL_METRICS_EXPORTER');
  const envNone = listed.includes('none');
  const known = envNone
    ? []
    : supported('OTEL_METRICS_EXPORTER', listed, ['otlp', 'prometheus', 'console']);
  const otlp = options.otlpMetrics ?? (listed.length === 0 || known.includes('otlp'));
  const prometheus =
    options.prometheus === undefined ? known.includes('prometheus') : options.prometheus !== false;
  const result: MetricExporterName[] = [];
  if (otlp) result.push('otlp');
  if (prometheus) result.push('prometheus');
  if (known.includes('console')) result.push('console');
  return result;
}

function resolveLogs(option: boolean | undefined): LogExporterName[] {
  if (option === false) return [];
  const listed = envList('OTEL_LOGS_EXPORTER');
  // Unset means off for bulwark (upstream: otlp); set explicitly, it keeps its meaning.
  if (listed.length === 0) return option === true ? ['otlp'] : [];
  if (listed.includes('none')) return [];
  return supported('OTEL_LOGS_EXPORTER', listed, ['otlp', 'console']);
}

function envList(name: string): string[] {
  return [...new Set(sdk.core.getStringListFromEnv(name) ?? [])];
}

function supported<T extends string>(variable: string, listed: string[], known: readonly T[]): T[] {
  const kept: T[] = [];
  for (const name of listed) {
    if ((known as readonly string[]).includes(name)) kept.push(name as T);
    else warnOnce(`${variable}="${name}" is not supported by bulwark/otel and is ignored`);
  }
  return kept;
}
