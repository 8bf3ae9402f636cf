import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureProcess, runFixture } from './support/fixture-process.js';
import { buildPackageCopy, type PackageCopy } from './support/package-copy.js';
import {
  type PrometheusServer,
  requirePrometheus,
  startPrometheus,
  waitUntil,
} from './support/prometheus-server.js';

const available = requirePrometheus();
const FIXTURE = 'metrics-app.cjs';
const SERIES = 'bulwark_resilience_pipeline_duration_count';

describe.skipIf(!available)('a real Prometheus scraping the service /metrics endpoint', () => {
  let copy: PackageCopy;
  let fixture: FixtureProcess;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    copy = await buildPackageCopy([FIXTURE]);
    fixture = runFixture(copy.root, FIXTURE, { FIXTURE_TENANTS: '1000' });
    const { port } = await fixture.ready;
    prometheus = await startPrometheus(join(copy.root, 'prometheus'), `127.0.0.1:${port}`);
    await waitUntil(async () => (await prometheus.query(SERIES)).length > 0, 30_000);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    fixture?.child.kill('SIGKILL');
    await fixture?.exited;
    await copy?.remove();
  });

  it('stores a bulwark series labelled with the tenant id and jurisdiction, with the recorded value', async () => {
    const [known] = await prometheus.query(`${SERIES}{tenant_id="t-known"}`);
    expect(known?.metric).toMatchObject({
      pipeline_name: 'fixture',
      tenant_id: 't-known',
      tenant_jurisdiction: 'DE',
      job: 'fixture',
    });
    expect(known?.value[1]).toBe('3');
  });

  it('puts the jurisdiction on every bulwark counter and histogram recorded inside withTenant', async () => {
    // Observable gauges (breaker state, bulkhead occupancy) describe a pipeline, not a tenant's work.
    const series = await prometheus.query('{__name__=~"bulwark_.+_(bucket|count|sum|total)"}');
    expect(series.length).toBeGreaterThan(0);
    const without = series.filter((s) => s.metric.tenant_jurisdiction !== 'DE');
    expect(without.map((s) => s.metric)).toEqual([]);
  });

  it('keeps 1,000 tenants to 100 series plus "other", and loses no call', async () => {
    const [count] = await prometheus.query(`count(${SERIES}{pipeline_name="fixture"})`);
    expect(count?.value[1]).toBe('101');
    const [other] = await prometheus.query(`${SERIES}{tenant_id="other"}`);
    expect(other?.value[1]).toBe('901'); // 1,000 tenants minus the 99 that joined t-known in the top 100
    const [sum] = await prometheus.query(`sum(${SERIES}{pipeline_name="fixture"})`);
    expect(sum?.value[1]).toBe('1003');
  });
});
