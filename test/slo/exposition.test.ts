import { describe, expect, it } from 'vitest';
import { HTTP_DURATION_SERIES } from '../../src/slo/promql.js';
import { expose } from './exposition.js';

// The generated rules hard-code the series and label names below. This test
// records through the real exporter and fails if an upgrade renames any of them.
describe('Prometheus exposition of http.server.request.duration', () => {
  it('has the series and label names the generated rules query', async () => {
    const series = await expose([
      {
        method: 'POST',
        route: '/transfers',
        statusCode: 503,
        durationSeconds: 0.2,
        jurisdiction: 'DE',
        tenantId: 'acme',
      },
    ]);
    const s = HTTP_DURATION_SERIES;
    const count = series.find((one) => one.name === s.count);
    expect(count?.labels).toEqual({
      [s.method]: 'POST',
      [s.route]: '/transfers',
      [s.statusCode]: '503',
      error_type: '503',
      [s.jurisdiction]: 'DE',
      tenant_id: 'acme',
      [s.scope]: s.scopeName,
    });
    expect(count?.value).toBe(1);
    const buckets = series.filter((one) => one.name === s.bucket);
    // 14 bounds + Inf, written as JS writes the number: le="1", not "1.0".
    expect(buckets.map((one) => one.labels.le)).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.075',
      '0.1',
      '0.25',
      '0.5',
      '0.75',
      '1',
      '2.5',
      '5',
      '7.5',
      '10',
      '+Inf',
    ]);
    expect(buckets.find((one) => one.labels.le === '0.25')?.value).toBe(1);
    expect(buckets.find((one) => one.labels.le === '0.1')?.value).toBe(0);
  });
});
