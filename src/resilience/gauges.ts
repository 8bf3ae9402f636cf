import type { Meter } from '@opentelemetry/api';
import { Attr, Metric } from '../telemetry/attributes.js';
import type { CircuitState } from './circuit-breaker.js';
import { now } from './clock.js';

/**
 * The observable gauges of every live pipeline: breaker state per key and
 * bulkhead occupancy. Pipelines are held weakly, so a pipeline the
 * application drops is collected and leaves the gauges on its own. Gauges
 * read shared state outside any request, so they carry no tenant or
 * jurisdiction.
 */

/** What a pipeline exposes to the gauges. */
export interface GaugeSource {
  readonly name: string;
  circuitStates(nowMs: number): Iterable<[string, CircuitState]>;
  bulkheadOccupancy(): number | undefined;
}

const sources = new Set<WeakRef<GaugeSource>>();
const STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

/** Registers a pipeline with the gauges for as long as it lives. */
export function watchPipeline(source: GaugeSource): void {
  sources.add(new WeakRef(source));
}

/** Creates the gauges on `meter` (called again whenever the meter provider changes). */
export function observeGauges(meter: Meter): void {
  const circuit = meter.createObservableGauge(Metric.CircuitState, {
    description: 'Circuit breaker state per key: 1 for the current state, 0 for the others.',
  });
  const occupancy = meter.createObservableGauge(Metric.BulkheadOccupancy, {
    description: 'Calls running or queued in the bulkheads of a pipeline.',
  });
  circuit.addCallback((result) => {
    const nowMs = now();
    for (const source of live()) {
      for (const [key, state] of source.circuitStates(nowMs)) {
        for (const candidate of STATES) {
          result.observe(candidate === state ? 1 : 0, {
            [Attr.PipelineName]: source.name,
            [Attr.ResilienceKey]: key,
            [Attr.CircuitState]: candidate,
          });
        }
      }
    }
  });
  occupancy.addCallback((result) => {
    for (const source of live()) {
      const value = source.bulkheadOccupancy();
      if (value !== undefined) result.observe(value, { [Attr.PipelineName]: source.name });
    }
  });
}

function* live(): Iterable<GaugeSource> {
  for (const ref of sources) {
    const source = ref.deref();
    if (source === undefined) sources.delete(ref);
    else yield source;
  }
}
