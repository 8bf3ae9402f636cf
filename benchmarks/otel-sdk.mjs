/**
 * A registered OpenTelemetry SDK as a service would run it, minus the network:
 * an AsyncLocalStorage context manager, a tracer provider and a meter provider
 * with a reader that is never collected. Spans and measurements are fully
 * created and recorded; only the export is skipped, the same for every case.
 *
 * Span processing: servers get a batch processor exporting to nowhere. Micro-
 * benchmarks get a processor that discards ended spans instead, because their
 * measuring loops never yield to the timers phase: a batch processor could
 * never export, would fill its queue after 2,048 spans and then measure its
 * cheaper drop path.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

/** A span exporter that drops every batch: export cost is not what is measured. */
export const dropExporter = {
  export(_spans, done) {
    done({ code: 0 });
  },
  async shutdown() {},
};

/** A span processor that discards every span: the export pipeline is not what is measured. */
export const discardProcessor = {
  onStart() {},
  onEnd() {},
  async forceFlush() {},
  async shutdown() {},
};

/** A metric reader that is never collected: recordings are aggregated in memory. */
class IdleReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/**
 * A tracer provider with `extraProcessors` first, then a batch processor to
 * nowhere (`batch: true`, for servers) or the discarding processor.
 */
export function tracerProvider(extraProcessors = [], { batch = false } = {}) {
  const last = batch ? new BatchSpanProcessor({ exporter: dropExporter }) : discardProcessor;
  return new TracerProvider({ spanProcessors: [...extraProcessors, last] });
}

/** A meter provider whose recordings are aggregated and never exported. */
export function meterProvider() {
  return new MeterProvider({ readers: [new IdleReader()] });
}

/** Registers the context manager, a tracer provider and a meter provider globally. */
export function registerSdk({ spanProcessors = [], batch = false } = {}) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider(spanProcessors, { batch }));
  metrics.setGlobalMeterProvider(meterProvider());
}
