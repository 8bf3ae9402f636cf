/**
 * A registered OpenTelemetry SDK as a service would run it, minus the network:
 * an AsyncLocalStorage context manager, a tracer provider whose batch processor
 * exports to nowhere, and a meter provider with a reader that is never
 * collected. Spans and measurements are fully created and recorded; only the
 * export is skipped, which is the same for every case compared.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A span exporter that drops every batch: export cost is not what is measured. */
export const dropExporter = {
  export(_spans, done) {
    done({ code: 0 });
  },
  async shutdown() {},
};

/** A metric reader that is never collected: recordings are aggregated in memory. */
class IdleReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/** A tracer provider with a batch processor to nowhere, plus `extraProcessors` first. */
export function tracerProvider(extraProcessors = []) {
  return new BasicTracerProvider({
    spanProcessors: [...extraProcessors, new BatchSpanProcessor(dropExporter)],
  });
}

/** A meter provider whose recordings are aggregated and never exported. */
export function meterProvider() {
  return new MeterProvider({ readers: [new IdleReader()] });
}

/** Registers the context manager, a tracer provider and a meter provider globally. */
export function registerSdk({ spanProcessors = [] } = {}) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider(spanProcessors));
  metrics.setGlobalMeterProvider(meterProvider());
}
