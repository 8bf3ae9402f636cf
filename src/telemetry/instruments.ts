import { type Meter, metrics } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './attributes.js';

/**
 * The OTel API has a proxy for tracers but not for meters: an instrument made
 * before the SDK registers stays a no-op forever. Library code therefore makes
 * its instruments through this helper, which re-creates them whenever the
 * global meter provider changes, at the cost of one identity check per use.
 * Instruments exist on the new provider only from the first call after it
 * registers, so observable instruments made in `create` (gauges) report once
 * the feature has been used at least once.
 *
 * @example
 * const instruments = lazyInstruments((meter) => ({ events: meter.createCounter('x') }));
 * instruments().events.add(1);
 */
export function lazyInstruments<T>(create: (meter: Meter) => T): () => T {
  let provider: unknown;
  let cached: T | undefined;
  return function instruments(): T {
    const current = metrics.getMeterProvider();
    if (cached === undefined || current !== provider) {
      provider = current;
      cached = create(current.getMeter(INSTRUMENTATION_SCOPE));
    }
    return cached;
  };
}
