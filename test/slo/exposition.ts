import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { HTTP_DURATION_BUCKETS_SECONDS } from '../../src/slo/index.js';
import { Attr, INSTRUMENTATION_SCOPE, Metric } from '../../src/telemetry/attributes.js';

/** One series of a Prometheus text exposition. */
export interface ExposedSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The attributes of one `http.server.request.duration` measurement, as `requestMetrics()` records it. */
export interface Measurement {
  method: string;
  route: string;
  statusCode: number;
  durationSeconds: number;
  jurisdiction: string;
  tenantId: string;
}

/**
 * Records measurements on the histogram the way `requestMetrics()` declares it
 * (same scope, name, unit, bucket advice and attribute names) through the real
 * `@opentelemetry/exporter-prometheus`, and returns the exposed series.
 */
export async function expose(measurements: readonly Measurement[]): Promise<ExposedSeries[]> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  try {
    const histogram = provider
      .getMeter(INSTRUMENTATION_SCOPE)
      .createHistogram(Metric.HttpServerRequestDuration, {
        unit: 's',
        advice: { explicitBucketBoundaries: [...HTTP_DURATION_BUCKETS_SECONDS] },
      });
    for (const m of measurements) {
      histogram.record(m.durationSeconds, {
        [Attr.HttpRequestMethod]: m.method,
        [Attr.HttpRoute]: m.route,
        [Attr.HttpResponseStatusCode]: m.statusCode,
        ...(m.statusCode >= 500 && { [Attr.ErrorType]: String(m.statusCode) }),
        [Attr.TenantJurisdiction]: m.jurisdiction,
        [Attr.TenantId]: m.tenantId,
      });
    }
    const { resourceMetrics } = await exporter.collect();
    return parseExposition(new PrometheusSerializer().serialize(resourceMetrics));
  } finally {
    await provider.shutdown();
  }
}

/** Parses sample lines (`name{a="b",...} value`) of a text exposition; comments skipped. */
export function parseExposition(text: string): ExposedSeries[] {
  const series: ExposedSeries[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    )) {
      labels[key!] = value!.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char));
    }
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

/** Writes a series selector for a promtool input series: `name{a="b",...}`. */
export function seriesSelector(series: Pick<ExposedSeries, 'name' | 'labels'>): string {
  const labels = Object.entries(series.labels).map(
    ([key, value]) => `${key}=${JSON.stringify(value)}`,
  );
  return `${series.name}{${labels.join(',')}}`;
}
