import type { MetricsHandler } from './prometheus.js';
import { NO_SIGNALS, type TelemetrySignals } from './signals.js';

/**
 * What `startTelemetry` did:
 * - `started`: this call registered the SDK;
 * - `disabled`: `OTEL_SDK_DISABLED=true`, nothing was registered;
 * - `already-started`: bulwark telemetry was already running; the handle controls that one;
 * - `foreign-sdk`: another OTel SDK was registered first; bulwark left it alone;
 * - `failed`: setting up threw; nothing is exported and the application runs on.
 */
export type TelemetryStatus = 'started' | 'disabled' | 'already-started' | 'foreign-sdk' | 'failed';

/** What `startTelemetry` resolves to. Its methods never throw and never reject. */
export interface TelemetryHandle {
  /** What happened; see {@link TelemetryStatus}. */
  readonly status: TelemetryStatus;
  /** Which signals are on, and where each goes. */
  readonly signals: TelemetrySignals;
  /** Why the status is not `started`, in words; undefined when it is. */
  readonly reason: string | undefined;
  /** URL of bulwark's own Prometheus scrape server, when one is listening. */
  readonly prometheusUrl: string | undefined;
  /**
   * Renders the Prometheus text format: mount it at `GET /metrics` on the
   * application's own server. Answers 404 when the Prometheus signal is off.
   */
  readonly metricsHandler: MetricsHandler;
  /** Spans dropped because the export queue was full, since start. */
  droppedSpans(): number;
  /** Exports what is buffered (traces and metrics), within `flushTimeoutMs`. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops every exporter and listener, within `flushTimeoutMs`. Idempotent. */
  shutdown(): Promise<void>;
}

/** The handler of a handle without a Prometheus endpoint. */
export const metricsOff: MetricsHandler = function metricsOff(_request, response) {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  response.end('Prometheus metrics are off (bulwark/otel)\n');
};

/** A handle that controls nothing: disabled, failed, or beside a foreign SDK. */
export function idleHandle(status: TelemetryStatus, reason: string): TelemetryHandle {
  return Object.freeze({
    status,
    signals: NO_SIGNALS,
    reason,
    prometheusUrl: undefined,
    metricsHandler: metricsOff,
    droppedSpans: () => 0,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  });
}

/** A second caller's view of the running telemetry: same controls, honest status. */
export function sharedHandle(active: TelemetryHandle): TelemetryHandle {
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
