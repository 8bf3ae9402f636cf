import { type Attributes, context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type HistogramMetricData,
  MeterProvider,
  type MetricData,
  MetricReader,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/*
 * The OpenTelemetry setup the telemetry tests share: a metric reader the test
 * collects from on demand, installed as the global meter provider, and an
 * in-memory span list behind the global tracer provider. Only the public SDK
 * classes are used, so the helper survives an SDK upgrade.
 */

/** A cumulative reader a test collects from on demand. */
export class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}

/** Installs a fresh global meter provider (after disabling any) and returns its reader. */
export function installMeterProvider(reader = new TestReader()): TestReader {
  metrics.disable();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return reader;
}

/**
 * Installs an async-hooks context manager and a global tracer provider that
 * keeps finished spans in memory; returns that span list.
 */
export function installTracerProvider(spans = new InMemorySpanExporter()): InMemorySpanExporter {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }),
  );
  return spans;
}

/** Removes every global the helpers above installed. */
export function disableTelemetry(): void {
  metrics.disable();
  trace.disable();
  context.disable();
}

/** Metric `name` as collected now, or `undefined` when it was never recorded. */
export async function collectMetric(
  reader: MetricReader,
  name: string,
): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === name);
}

/** The data points of metric `name` as collected now (none when it was never recorded). */
export async function dataPoints(
  reader: MetricReader,
  name: string,
): Promise<DataPoint<unknown>[]> {
  return ((await collectMetric(reader, name))?.dataPoints ?? []) as DataPoint<unknown>[];
}

/** The attributes of counter `name`, repeated once per unit counted. */
export async function countedAttributes(reader: MetricReader, name: string): Promise<Attributes[]> {
  const points = (await dataPoints(reader, name)) as SumMetricData['dataPoints'];
  return points.flatMap((p) => Array.from({ length: p.value }, () => p.attributes));
}

/** The attributes of histogram `name`, repeated once per value recorded. */
export async function recordedAttributes(
  reader: MetricReader,
  name: string,
): Promise<Attributes[]> {
  const points = (await dataPoints(reader, name)) as HistogramMetricData['dataPoints'];
  return points.flatMap((p) => Array.from({ length: p.value.count }, () => p.attributes));
}
