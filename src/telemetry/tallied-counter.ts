import type { Attributes, Meter, MetricOptions } from '@opentelemetry/api';

/** A monotonic counter of whole events, keyed by attribute set. */
export interface TalliedCounter {
  /**
   * Counts one event under `attributes`, which must be one of a bounded
   * number of attribute sets, each the same object every time (sets are
   * told apart by identity, never hashed).
   */
  add(attributes: Attributes): void;
}

/**
 * A counter counted in this process and reported through an observable
 * counter at each collection. What an exporter receives is the same as from a
 * synchronous counter (a cumulative monotonic sum per attribute set, under the
 * same name and unit); what a request pays is a Map increment instead of the
 * SDK's recording path, which hashes the attribute set on every `add` (the
 * http-server benchmark). Not for values that need exemplars.
 */
export function createTalliedCounter(
  meter: Meter,
  name: string,
  options: MetricOptions,
): TalliedCounter {
  const counts = new Map<Attributes, number>();
  meter.createObservableCounter(name, options).addCallback(function reportCounts(result) {
    for (const [attributes, count] of counts) result.observe(count, attributes);
  });
  return {
    add(attributes) {
      counts.set(attributes, (counts.get(attributes) ?? 0) + 1);
    },
  };
}
