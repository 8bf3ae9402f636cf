import { type Attributes, metrics } from '@opentelemetry/api';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RequestMetricsOptions, requestMetrics, tenant } from '../../src/express/index.js';
import { isBulwarkError, resilient, withTenant } from '../../src/index.js';
import { defineSlo } from '../../src/slo/index.js';
import { type Served, serve } from '../express/serve.js';
import { installMeterProvider, recordedAttributes, type TestReader } from '../support/telemetry.js';

/*
 * Which tenant and jurisdiction values a metric may carry: each through a
 * guard that keeps the first N values it admits and folds the rest into
 * `other`. A request the application refused (4xx) or that never completed
 * keeps the labels of values already admitted but never admits a new one, so
 * a client cannot squat the label slots with requests that fail.
 */

let reader: TestReader;
let served: Served | undefined;

beforeEach(() => {
  reader = installMeterProvider();
});

afterEach(async () => {
  await served?.close();
  served = undefined;
  metrics.disable();
});

const collected = (name: string) => recordedAttributes(reader, name);

/** The attributes of the `count` requests recorded so far, one entry per request. */
async function recorded(count: number): Promise<Attributes[]> {
  return vi.waitFor(async () => {
    const all = await collected('http.server.request.duration');
    expect(all).toHaveLength(count);
    return all;
  });
}

async function start(options: RequestMetricsOptions) {
  const app = express();
  app.use(requestMetrics(options), tenant());
  app.post('/transfers', (_req, res) => {
    res.status(201).end();
  });
  app.post('/refused', (_req, res) => {
    res.status(422).end();
  });
  served = await serve(app);
  return served.url;
}

async function send(url: string, path: string, headers: Record<string, string>) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers });
  await response.arrayBuffer();
  return response.status;
}

function labels(attributes: Attributes | undefined) {
  return [attributes?.['tenant.id'], attributes?.['tenant.jurisdiction']];
}

describe('requestMetrics() bounds tenant.jurisdiction', () => {
  it('keeps maxJurisdictions values and records every later one as `other`', async () => {
    const url = await start({ maxJurisdictions: 2 });
    for (const jurisdiction of ['DE', 'FR', 'US-NY', 'GB-ENG', 'DE']) {
      expect(
        await send(url, '/transfers', { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': jurisdiction }),
      ).toBe(201);
    }
    const values = (await recorded(5)).map((attributes) => attributes['tenant.jurisdiction']);
    expect(values.sort()).toEqual(['DE', 'DE', 'FR', 'other', 'other']);
  });

  it('always keeps the jurisdictions an SLO selects on, so its Prometheus rules see them', async () => {
    const slo = defineSlo({
      name: 'de-availability',
      sli: { kind: 'availability' },
      objective: 0.99,
      selector: { jurisdictions: ['de'] },
    });
    const url = await start({ maxJurisdictions: 1, slos: [slo] });
    for (const jurisdiction of ['FR', 'US-NY', 'DE']) {
      await send(url, '/transfers', { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': jurisdiction });
    }
    const values = (await recorded(3)).map((attributes) => attributes['tenant.jurisdiction']);
    expect(values.sort()).toEqual(['DE', 'FR', 'other']);
    expect(slo.snapshot().total).toBe(1);
  });

  it('validates maxJurisdictions once, naming it', () => {
    for (const maxJurisdictions of [-1, 1.5, '10']) {
      let caught: unknown;
      try {
        requestMetrics({ maxJurisdictions } as never);
      } catch (error) {
        caught = error;
      }
      expect(isBulwarkError(caught, 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((caught as Error).message).toContain('maxJurisdictions');
    }
  });
});

describe('a request answered 4xx never takes a label slot', () => {
  it('records new values as `other`, and keeps the labels of values already admitted', async () => {
    const url = await start({ maxTenants: 1, maxJurisdictions: 1 });
    const squatter = { 'X-Tenant-Id': 'squatter', 'X-Jurisdiction': 'ZZ-999' };
    const acme = { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'DE' };
    expect(await send(url, '/refused', squatter)).toBe(422);
    expect(await send(url, '/transfers', acme)).toBe(201);
    expect(await send(url, '/refused', squatter)).toBe(422);
    expect(await send(url, '/refused', acme)).toBe(422);
    // Points come grouped by attribute set, not in request order: compare as sorted lists.
    const all = (await recorded(4)).map((attributes) => labels(attributes).join('/'));
    expect(all.sort()).toEqual(['acme/DE', 'acme/DE', 'other/other', 'other/other']);
  });

  it('records a request refused by tenant() with no tenant labels at all', async () => {
    const url = await start({});
    expect(await send(url, '/transfers', { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'ZZZZ' })).toBe(
      400,
    );
    expect(await send(url, '/transfers', { 'X-Tenant-Id': '..', 'X-Jurisdiction': 'DE' })).toBe(
      400,
    );
    const all = await recorded(2);
    for (const attributes of all) {
      expect(attributes['http.response.status_code']).toBe(400);
      expect(labels(attributes)).toEqual([undefined, undefined]);
    }
  });
});

describe('resilience metrics bound tenant.jurisdiction', () => {
  it('keeps at most 100 jurisdiction values plus `other` on each bulwark.resilience metric', async () => {
    const pipeline = resilient('bounded-jurisdictions', { retry: false });
    const codes: string[] = [];
    for (let i = 0; i < 150; i++) {
      const suffix = i.toString(36).toUpperCase().padStart(2, '0');
      codes.push(`ZZ-${suffix}`);
    }
    for (const jurisdiction of codes) {
      await withTenant({ tenantId: 'acme', jurisdiction }, () => pipeline.execute(() => 'ok'));
    }
    const points = await collected('bulwark.resilience.pipeline.duration');
    const values = new Set(
      points
        .filter((attributes) => attributes['pipeline.name'] === 'bounded-jurisdictions')
        .map((attributes) => attributes['tenant.jurisdiction']),
    );
    expect(values.size).toBeLessThanOrEqual(101);
    expect(values.has('other')).toBe(true);
  });
});
