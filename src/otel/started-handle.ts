import { context, logs, metrics, propagation, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { bounded, installExitFlush } from './exit-flush.js';
import { metricsOff, type TelemetryHandle } from './handle.js';
import { TELEMETRY_DEFAULTS, type TelemetryOptions } from './options.js';
import type { PrometheusEndpoint } from './prometheus.js';
import { activeTelemetry, setActiveTelemetry } from './registry.js';
import type { TelemetrySignals } from './signals.js';
import type { CountingSpanProcessor } from './span-export.js';

/** What a started SDK is made of. */
export interface StartedParts {
  options: TelemetryOptions;
  signals: TelemetrySignals;
  sdk: NodeSDK;
  exporting: CountingSpanProcessor[];
  readers: { forceFlush(): Promise<void> }[];
  prometheus: PrometheusEndpoint | undefined;
  /** True when this SDK registered the global logger provider (and must free it). */
  ownsLogs: boolean;
}

/**
 * The handle of telemetry this process started, plus `listen()` that starts the
 * Prometheus server (the only asynchronous part of starting). Installs the exit
 * flush unless `flushOnExit` is false.
 */
export function startedHandle(parts: StartedParts) {
  const timeoutMs = parts.options.flushTimeoutMs ?? TELEMETRY_DEFAULTS.flushTimeoutMs;
  let prometheusUrl: string | undefined;
  let stopped: Promise<void> | undefined;
  let uninstallExitFlush: (() => void) | undefined;
  const handle: TelemetryHandle = {
    status: 'started',
    signals: parts.signals,
    reason: undefined,
    get prometheusUrl() {
      return prometheusUrl;
    },
    metricsHandler: parts.prometheus?.handler ?? metricsOff,
    droppedSpans: () => parts.exporting.reduce((sum, p) => sum + p.droppedSpans(), 0),
    forceFlush() {
      if (stopped !== undefined) return stopped;
      const flushable = [...parts.exporting, ...parts.readers];
      return bounded(() => Promise.all(flushable.map((part) => part.forceFlush())), timeoutMs);
    },
    shutdown() {
      stopped ??= stop();
      return stopped;
    },
  };
  const stop = async () => {
    uninstallExitFlush?.();
    await stopParts(parts, timeoutMs);
    if (activeTelemetry() === handle) setActiveTelemetry(undefined);
  };
  if (parts.options.flushOnExit ?? TELEMETRY_DEFAULTS.flushOnExit) {
    uninstallExitFlush = installExitFlush({ flush: handle.forceFlush, shutdown: handle.shutdown });
  }
  const listen = async () => {
    prometheusUrl = await parts.prometheus?.listen();
  };
  return { handle, listen };
}

/** Shuts the SDK down (flushing) within the bound, closes the scrape server, frees the globals. */
async function stopParts(parts: StartedParts, timeoutMs: number): Promise<void> {
  await bounded(() => parts.sdk.shutdown(), timeoutMs);
  await parts.prometheus?.close();
  disableGlobals();
  if (parts.ownsLogs) logs.disable();
}

/**
 * Unregisters the OTel globals so that telemetry can start again later in the
 * same process. The tenant context keeps working: it falls back to its own
 * AsyncLocalStorage when no context manager is registered.
 */
export function disableGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}
