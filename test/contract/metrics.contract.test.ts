import { type Attributes, metrics } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BulwarkError, ErrorCode } from '../../src/index.js';
import { defineSlo } from '../../src/slo/index.js';
import { installMeterProvider, recordedAttributes, type TestReader } from '../support/telemetry.js';
import { adapters, closeApps, type RouteSpec } from './adapters.js';

/*
 * The metrics contract, the same on every framework: one
 * http.server.request.duration point per request with the route template the
 * framework matched, the status, a bounded error.type, and the guarded tenant
 * labels; every finished request feeds the SLOs.
 */

let reader: TestReader;
beforeEach(() => {
  reader = installMeterProvider();
});
afterEach(async () => {
  await closeApps();
  metrics.disable();
});

async function recorded(count: number): Promise<Attributes[]> {
  return vi.waitFor(async () => {
    const all = await recordedAttributes(reader, 'http.server.request.duration');
    expect(all).toHaveLength(count);
    return all;
  });
}

const get = (path: string, handler: RouteSpec['handler']): RouteSpec => ({
  method: 'GET',
  path,
  handler,
});

class Acct4711Error extends Error {}

describe.each(adapters)('metrics contract on $name', (adapter) => {
  it('records method, route template, status and the tenant labels', async () => {
    const app = await adapter.makeApp({
      routes: [get('/transfers/:id', () => ({ json: { ok: true } }))],
    });
    const response = await fetch(`${app.url}/transfers/tr-8f3a?x=1`, {
      headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'de' },
    });
    expect(response.status).toBe(200);
    expect(await recorded(1)).toEqual([
      {
        'http.request.method': 'GET',
        'http.route': '/transfers/:id',
        'http.response.status_code': 200,
        'tenant.jurisdiction': 'DE',
        'tenant.id': 'acme',
      },
    ]);
  });

  it('records no http.route for a request no route matched', async () => {
    const app = await adapter.makeApp({ tenant: { required: false }, routes: [] });
    expect((await fetch(`${app.url}/wp-admin/../etc/passwd`)).status).toBe(404);
    const [attributes] = await recorded(1);
    expect(attributes?.['http.route']).toBeUndefined();
    expect(attributes?.['http.response.status_code']).toBe(404);
  });

  it('sets a bounded error.type on 5xx: the bulwark code, the status, or _OTHER for a class made from data', async () => {
    const app = await adapter.makeApp({
      tenant: false,
      routes: [
        get('/open', () => {
          throw new BulwarkError(ErrorCode.CircuitOpen, 'open');
        }),
        get('/bug', () => {
          throw new TypeError('x is undefined');
        }),
        get('/data', () => {
          throw new Acct4711Error('declined');
        }),
        get('/raw', () => ({ status: 502 })),
        get('/client', () => ({ status: 422 })),
      ],
    });
    for (const path of ['/open', '/bug', '/data', '/raw', '/client'])
      await fetch(`${app.url}${path}`);
    const byRoute = Object.fromEntries(
      (await recorded(5)).map((a) => [
        a['http.route'],
        [a['http.response.status_code'], a['error.type']],
      ]),
    );
    expect(byRoute).toEqual({
      '/open': [503, 'BULWARK_CIRCUIT_OPEN'],
      '/bug': [500, 'TypeError'],
      '/data': [500, 'Error'],
      '/raw': [502, '502'],
      '/client': [422, undefined],
    });
  });

  it('records a request the client aborted before any response as error.type aborted', async () => {
    let reached = false;
    const app = await adapter.makeApp({
      tenant: false,
      routes: [
        get('/slow', async () => {
          reached = true;
          await new Promise((resolve) => setTimeout(resolve, 300));
          return { text: 'late' };
        }),
      ],
    });
    const abort = new AbortController();
    const pending = fetch(`${app.url}/slow`, { signal: abort.signal });
    await vi.waitFor(() => expect(reached).toBe(true));
    abort.abort();
    await expect(pending).rejects.toThrow();
    const [attributes] = await recorded(1);
    expect(attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/slow',
      'error.type': 'aborted',
    });
  });

  it('feeds each SLO one event per finished request; a failing SLO harms nothing', async () => {
    const events: unknown[] = [];
    const availability = defineSlo({
      name: 'transfers-availability',
      sli: { kind: 'availability' },
      objective: 0.99,
    });
    const app = await adapter.makeApp({
      metrics: {
        slos: [
          {
            record() {
              throw new Error('slo down');
            },
          },
          { record: (event) => events.push(event) },
          availability,
        ],
        tenantClass: (t) => (t.tenantId === 'acme' ? 'premium' : 'standard'),
      },
      routes: [get('/transfers/:id', () => ({ json: { ok: true } }))],
    });
    const response = await fetch(`${app.url}/transfers/9`, {
      headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'us-ny' },
    });
    expect(response.status).toBe(200);
    await fetch(`${app.url}/nowhere`, { method: 'DELETE', headers: { 'X-Tenant-Id': 'acme' } });
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[0]).toEqual({
      method: 'GET',
      route: '/transfers/:id',
      statusCode: 200,
      durationSeconds: expect.any(Number),
      jurisdiction: 'US-NY',
      tenantClass: 'premium',
    });
    expect(events[1]).toMatchObject({ method: 'DELETE', route: undefined, statusCode: 404 });
    expect(availability.snapshot()).toMatchObject({ good: 2, total: 2 });
  });

  it('keeps at most maxTenants + 1 tenant.id values', async () => {
    const app = await adapter.makeApp({
      metrics: { maxTenants: 3 },
      routes: [get('/t', () => ({ text: 'ok' }))],
    });
    for (let i = 0; i < 10; i += 1) {
      await (await fetch(`${app.url}/t`, { headers: { 'X-Tenant-Id': `tenant-${i}` } })).text();
    }
    const values = new Set((await recorded(10)).map((a) => a['tenant.id']));
    expect(values).toEqual(new Set(['tenant-0', 'tenant-1', 'tenant-2', 'other']));
  });
});
