import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { getTenant, InvalidTenantError } from '../../src/index.js';
import { rawRequest } from '../express/serve.js';
import { adapters, closeApps, type RouteSpec } from './adapters.js';

/*
 * The tenant contract, the same on every framework: the tenant comes from
 * X-Tenant-Id / X-Jurisdiction (or a resolver), everything in the request runs
 * inside it (through the body being read, async handlers and the reply), and a
 * missing or invalid one gets 400 problem+json naming the field.
 */

afterEach(closeApps);

const who: RouteSpec = {
  method: 'POST',
  path: '/who',
  idempotency: false,
  handler: async ({ body }) => {
    await sleep(1);
    return { json: { tenant: getTenant() ?? null, body } };
  },
};

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe.each(adapters)('tenant contract on $name', (adapter) => {
  const post = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/who`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ amount: 1 }),
    });

  it('runs the handler inside the tenant named by the headers, after the body was read', async () => {
    const app = await adapter.makeApp({ routes: [who] });
    const response = await post(app.url, {
      'X-Tenant-Id': 'acme',
      'X-Jurisdiction': 'us-ny',
      'X-Transaction-Type': 'payout',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      tenant: { tenantId: 'acme', jurisdiction: 'US-NY', transactionType: 'payout' },
      body: { amount: 1 },
    });
  });

  it('400 problem+json naming tenantId when no tenant is named', async () => {
    const app = await adapter.makeApp({ routes: [who] });
    const response = await post(app.url, {});
    expect(response.status).toBe(400);
    expect(await problem(response)).toMatchObject({
      type: 'urn:bulwark:problem:tenant-required',
      field: 'tenantId',
      code: 'BULWARK_INVALID_TENANT_ID',
    });
  });

  it.each([
    ['tenantId', { 'X-Tenant-Id': '../etc/passwd' }, 'BULWARK_INVALID_TENANT_ID'],
    [
      'jurisdiction',
      { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'Germany' },
      'BULWARK_INVALID_JURISDICTION',
    ],
  ])('400 naming %s for a bad value, never echoing it', async (field, headers, code) => {
    const app = await adapter.makeApp({ routes: [who] });
    const response = await post(app.url, headers);
    expect(response.status).toBe(400);
    const body = await problem(response);
    expect(body).toMatchObject({ type: 'urn:bulwark:problem:invalid-tenant', field, code });
    expect(JSON.stringify(body)).not.toContain('passwd');
  });

  it('400 for a repeated X-Tenant-Id (raw request)', async () => {
    const app = await adapter.makeApp({ routes: [who] });
    const { status, text } = await rawRequest(
      app.port,
      'POST /who HTTP/1.1\r\nHost: x\r\nX-Tenant-Id: acme\r\nX-Tenant-Id: evil\r\nContent-Length: 0\r\n',
    );
    expect(status).toBe(400);
    expect(text).toContain('"field":"tenantId"');
  });

  it('lets a request without a tenant through when required is false', async () => {
    const app = await adapter.makeApp({ tenant: { required: false }, routes: [who] });
    expect(await (await post(app.url, {})).json()).toMatchObject({ tenant: null });
  });

  it('awaits an async resolver, and answers 400 when it throws InvalidTenantError', async () => {
    const app = await adapter.makeApp({
      tenant: {
        resolve: async (req) => {
          await sleep(2);
          const org = req.headers['x-org'];
          if (org === 'bad') throw new InvalidTenantError('jurisdiction', 'XX', 'a jurisdiction');
          return { tenantId: `org-${org}`, jurisdiction: 'de' };
        },
      },
      routes: [who],
    });
    expect(await (await post(app.url, { 'X-Org': '42' })).json()).toMatchObject({
      tenant: { tenantId: 'org-42', jurisdiction: 'DE' },
    });
    const refused = await post(app.url, { 'X-Org': 'bad' });
    expect(refused.status).toBe(400);
    expect(await problem(refused)).toMatchObject({ field: 'jurisdiction' });
  });

  it('hands any other resolver failure to the error handler: 500, nothing leaked', async () => {
    const app = await adapter.makeApp({
      tenant: {
        resolve: () => {
          throw new Error('auth backend down at 10.0.0.7');
        },
      },
      routes: [who],
    });
    const response = await post(app.url, {});
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('10.0.0.7');
  });

  it('keeps the tenant in an idempotent handler (claimed after the body was read)', async () => {
    const app = await adapter.makeApp({
      routes: [{ ...who, idempotency: undefined }],
    });
    const response = await post(app.url, { 'X-Tenant-Id': 'acme', 'Idempotency-Key': 'k-1' });
    expect(await response.json()).toMatchObject({ tenant: { tenantId: 'acme' } });
  });
});
