import type { ViewOptions } from '@opentelemetry/sdk-metrics';
import { HTTP_DURATION_BUCKETS_SECONDS } from '../slo/http-buckets.js';
import { Metric } from '../telemetry/attributes.js';
import { sdk } from './sdk.js';

/**
 * The metric views `startTelemetry` installs: `http.server.request.duration` in
 * the seconds buckets the stable HTTP semantic conventions advise, whoever
 * records it (bulwark's `requestMetrics()` or an instrumentation that gives no
 * advice). The SDK's default buckets are made for milliseconds and would put
 * every request in the first bucket.
 */
export function telemetryViews(): ViewOptions[] {
  return [
    {
      instrumentName: Metric.HttpServerRequestDuration,
      aggregation: {
        type: sdk.metrics.AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...HTTP_DURATION_BUCKETS_SECONDS] },
      },
    },
  ];
}
