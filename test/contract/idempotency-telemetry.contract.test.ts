import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Attr, MemoryStore, Metric } from '../../src/index.js';
import { postJson } from '../express/idempotency-helpers.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { countedAttributes, installMeterProvider, type TestReader } from '../support/telemetry.js';
import { adapters, closeApps } from './adapters.js';

/*
 * bulwark.idempotency.requests counts each request once with its outcome
 * (one word per outcome: in_flight, never conflict) and the tenant's
 * jurisdiction, never the key; the same on every framework.
 */

let reader: TestReader;
beforeEach(() => {
  reader = installMeterProvider();
});
afterEach(async () => {
  await closeApps();
  metrics.disable();
});

const counted = () => countedAttributes(reader, Metric.IdempotencyRequests);

describe.each(adapters)('idempotency telemetry contract on $name', (adapter) => {
  it('counts every outcome once, with its jurisdiction, never the key', async () => {
    const store = new FaultyStore(new MemoryStore());
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const app = await adapter.makeApp({
      idempotency: { store },
      routes: [
        {
          method: 'POST',
          path: '/t',
          handler: async ({ body }) => {
            if ((body as { hold?: boolean }).hold) await held;
            return { status: 201, json: body };
          },
        },
      ],
    });
    const url = `${app.url}/t`;
    const key = `secret-key-${randomUUID()}`;
    const tenant = { 'x-tenant-id': 'acme', 'x-jurisdiction': 'DE' };
    await postJson(url, key, { a: 1 }, tenant); // executed
    await postJson(url, key, { a: 1 }, tenant); // replayed
    await postJson(url, key, { a: 2 }, tenant); // mismatch
    await postJson(url, undefined, { a: 1 }, tenant); // rejected
    const slowKey = randomUUID();
    const slow = postJson(url, slowKey, { hold: true }, tenant);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await postJson(url, slowKey, { hold: true }, tenant); // in_flight
    release();
    await slow; // executed
    store.faults.claim = 'throw';
    await postJson(url, randomUUID(), { a: 1 }, tenant); // store_unavailable

    const points = await counted();
    expect(points.map((p) => p[Attr.IdempotencyOutcome]).sort()).toEqual(
      [
        'executed',
        'replayed',
        'mismatch',
        'rejected',
        'in_flight',
        'executed',
        'store_unavailable',
      ].sort(),
    );
    expect(points.every((p) => p[Attr.TenantJurisdiction] === 'DE')).toBe(true);
    expect(JSON.stringify(points)).not.toContain('secret-key');
  });
});
