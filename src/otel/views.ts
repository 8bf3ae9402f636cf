import { AggregationType, type ViewOptions } from '@opentelemetry/sdk-metrics';
import { Metric } from '../telemetry/attributes.js';

/**
 * Bucket boundaries, in seconds, the stable HTTP semantic conventions advise for
 * `http.server.request.duration`. The SDK's own default buckets are made for
 * milliseconds and would put every request in the first bucket.
 */
export const HTTP_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** The metric views `startTelemetry` installs. */
export function telemetryViews(): ViewOptions[] {
  return [
    {
      instrumentName: Metric.HttpServerRequestDuration,
      aggregation: {
        type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: [...HTTP_DURATION_BUCKETS_SECONDS] },
      },
    },
  ];
}
