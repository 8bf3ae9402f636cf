import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { tenant } from '../../src/express/index.js';
import { getTenant } from '../../src/index.js';
import { rawRequest, type Served, serve } from '../express/serve.js';

/*
 * Tenant header validation as a client meets it: over HTTP, through tenant().
 * A tenant id becomes a path segment in store keys, logs and URLs, so `.` and
 * `..` must never be one.
 */

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start() {
  const app = express();
  app.use(tenant());
  app.get('/who', (_req, res) => {
    res.json({ tenant: getTenant() ?? null });
  });
  served = await serve(app);
  return served;
}

describe('tenant() refuses dot-only tenant ids', () => {
  it.each(['.', '..', '...'])(
    'answers X-Tenant-Id: %s with 400 problem+json naming tenantId',
    async (id) => {
      const { url } = await start();
      const response = await fetch(`${url}/who`, { headers: { 'X-Tenant-Id': id } });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: 'urn:bulwark:problem:invalid-tenant',
        status: 400,
        field: 'tenantId',
        code: 'BULWARK_INVALID_TENANT_ID',
      });
      expect(body.detail).toMatch(/dot/);
    },
  );

  it('still accepts an id with dots among other characters', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/who`, { headers: { 'X-Tenant-Id': 'eu.acme..x' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tenant: { tenantId: 'eu.acme..x' } });
  });
});

describe('tenant() validates X-Jurisdiction to the ISO 3166 shape', () => {
  it.each(['Germany', 'DEU', 'D3', 'US-NYCX', 'US_NY', 'U', ''])(
    'answers X-Jurisdiction: %j with 400 problem+json naming jurisdiction',
    async (value) => {
      const { url } = await start();
      const response = await fetch(`${url}/who`, {
        headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': value },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: 'urn:bulwark:problem:invalid-tenant',
        field: 'jurisdiction',
        code: 'BULWARK_INVALID_JURISDICTION',
      });
    },
  );

  it('refuses a Latin-1 byte that upper-cases into a valid code ("ß" is "SS")', async () => {
    const { port } = await start();
    const head = Buffer.concat([
      Buffer.from(
        'GET /who HTTP/1.1\r\nHost: x\r\nX-Tenant-Id: acme\r\nX-Jurisdiction: ',
        'latin1',
      ),
      Buffer.from([0xdf]),
      Buffer.from('\r\n', 'latin1'),
    ]);
    const { status, text } = await rawRequest(port, head);
    expect(status).toBe(400);
    expect(text).toContain('"field":"jurisdiction"');
  });

  it('upper-cases a well-formed code', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/who`, {
      headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'gb-eng' },
    });
    expect(await response.json()).toEqual({ tenant: { tenantId: 'acme', jurisdiction: 'GB-ENG' } });
  });
});
