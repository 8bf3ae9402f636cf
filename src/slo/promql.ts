import { invalidOption } from '../errors.js';
import type { SloDefinition } from './definition.js';

/**
 * The Prometheus series `requestMetrics()` produces through
 * `@opentelemetry/exporter-prometheus` 0.223: the histogram
 * `http.server.request.duration` (unit `s`) is exposed WITHOUT a `_seconds`
 * suffix, attribute dots become underscores, and every series carries
 * `otel_scope_name`. test/slo/exposition.test.ts checks these names against the
 * real exporter, so an exporter upgrade that renames them fails a test.
 */
export const HTTP_DURATION_SERIES = {
  bucket: 'http_server_request_duration_bucket',
  count: 'http_server_request_duration_count',
  method: 'http_request_method',
  route: 'http_route',
  statusCode: 'http_response_status_code',
  jurisdiction: 'tenant_jurisdiction',
  scope: 'otel_scope_name',
  /** The scope of bulwark's meter: it keeps other instrumentations' HTTP histograms out. */
  scopeName: 'bulwark',
} as const;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A PromQL string literal. */
export function promString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`;
}

/** A label matcher: equality for one value, an anchored alternation of escaped literals for several. */
function matcher(label: string, values: readonly string[]): string {
  if (values.length === 1) return `${label}=${promString(values[0]!)}`;
  const alternation = values.map((value) => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')).join('|');
  return `${label}=~${promString(alternation)}`;
}

/**
 * The label matchers of an SLO's selector (plus `extra` equality matchers such
 * as `job`), always scoped to bulwark's own meter.
 */
export function selectorMatchers(
  slo: SloDefinition,
  extra: Readonly<Record<string, string>>,
  scope: string,
): string[] {
  if (slo.selector.tenantClasses) {
    throw invalidOption(
      scope,
      `${slo.name}.selector.tenantClasses`,
      slo.selector.tenantClasses,
      'absent: the exported HTTP metrics carry no tenant class label',
    );
  }
  const s = HTTP_DURATION_SERIES;
  const matchers = [matcher(s.scope, [s.scopeName])];
  if (slo.selector.routes) matchers.push(matcher(s.route, slo.selector.routes));
  if (slo.selector.methods) matchers.push(matcher(s.method, slo.selector.methods));
  if (slo.selector.jurisdictions)
    matchers.push(matcher(s.jurisdiction, slo.selector.jurisdictions));
  for (const [label, value] of Object.entries(extra)) {
    if (!LABEL_NAME.test(label))
      throw invalidOption(scope, `matchers.${label}`, label, 'a Prometheus label name');
    matchers.push(matcher(label, [value]));
  }
  return matchers;
}

/** The `le` matcher of a bucket bound; an integer bound also matches Prometheus 3's normalised `1.0`. */
function leMatcher(thresholdSeconds: number): string {
  const text = String(thresholdSeconds);
  return Number.isInteger(thresholdSeconds) ? `le=~"${text}(\\\\.0)?"` : `le="${text}"`;
}

/** PromQL for the counter of an SLO's total events (raw, before `rate`). */
export function totalSeries(matchers: readonly string[]): string {
  return `${HTTP_DURATION_SERIES.count}{${matchers.join(',')}}`;
}

/**
 * PromQL for an SLO's counter of good (latency) or bad (availability) events:
 * latency counts the cumulative bucket at the threshold, availability the
 * requests with a 5xx status.
 */
export function ratioSeries(slo: SloDefinition, matchers: readonly string[]): string {
  const s = HTTP_DURATION_SERIES;
  if (slo.sli.kind === 'latency') {
    return `${s.bucket}{${[...matchers, leMatcher(slo.sli.thresholdSeconds)].join(',')}}`;
  }
  return `${s.count}{${[...matchers, `${s.statusCode}=~"5.."`].join(',')}}`;
}

/** PromQL for the share of bad events over `window` (a Prometheus duration). */
export function errorRatio(
  slo: SloDefinition,
  matchers: readonly string[],
  window: string,
): string {
  const total = `sum(rate(${totalSeries(matchers)}[${window}]))`;
  const counted = `sum(rate(${ratioSeries(slo, matchers)}[${window}]))`;
  if (slo.sli.kind === 'latency') return `1 - (${counted} / ${total})`;
  // No 5xx series at all yields an empty sum, not 0: fill it so the ratio reads 0.
  return `(${counted} or vector(0)) / ${total}`;
}
