import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { lazyInstruments } from '../../src/telemetry/instruments.js';

/** A reader the test collects from by hand. */
class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function counterValue(reader: ManualReader, name: string): Promise<number | undefined> {
  const { resourceMetrics } = await reader.collect();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name === name) return metric.dataPoints[0]?.value as number;
    }
  }
  return undefined;
}

function register(): ManualReader {
  const reader = new ManualReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  return reader;
}

afterEach(() => {
  metrics.disable();
});

describe('lazyInstruments', () => {
  it('made before the SDK registers, records once it does (the API has no proxy meter)', async () => {
    let created = 0;
    const instruments = lazyInstruments((meter) => {
      created++;
      return { calls: meter.createCounter('lazy.calls') };
    });
    instruments().calls.add(5); // no SDK yet: a no-op, lost by design
    const reader = register();
    instruments().calls.add(2);
    instruments().calls.add(1);
    expect(await counterValue(reader, 'lazy.calls')).toBe(3);
    expect(created).toBe(2);
  });

  it('re-creates its instruments when the global meter provider changes', async () => {
    const instruments = lazyInstruments((meter) => ({ calls: meter.createCounter('lazy.moves') }));
    const first = register();
    instruments().calls.add(1);
    metrics.disable();
    const second = register();
    instruments().calls.add(4);
    expect(await counterValue(first, 'lazy.moves')).toBe(1);
    expect(await counterValue(second, 'lazy.moves')).toBe(4);
  });

  it('returns the same instruments while the provider stays', () => {
    register();
    const instruments = lazyInstruments((meter) => ({ calls: meter.createCounter('lazy.same') }));
    expect(instruments()).toBe(instruments());
  });
});
