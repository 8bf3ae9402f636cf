import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tenant } from '../../src/express/index.js';
import { getTenant, InvalidTenantError, isBulwarkError } from '../../src/index.js';
import { majors, rawRequest, type Served, serve } from './serve.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown>;
}

describe.each(majors)('tenant() on $name', ({ express }) => {
  /** An app whose handler answers with the tenant it sees; errors reach `onError`. */
  async function start(middleware: RequestHandler, onError?: (error: unknown) => void) {
    const app = express();
    app.use(middleware);
    app.get('/who', async (_req, res) => {
      await sleep(1);
      res.json({ tenant: getTenant() ?? null });
    });
    const last: ErrorRequestHandler = (error, _req, res, _next) => {
      onError?.(error);
      res.status(500).json({ caught: true });
    };
    app.use(last);
    served = await serve(app);
    return served;
  }

  describe('tenant() with the default header resolver', () => {
    it('runs the handler inside the tenant named by the headers', async () => {
      const { url } = await start(tenant());
      const response = await fetch(`${url}/who`, {
        headers: {
          'X-Tenant-Id': 'acme',
          'X-Jurisdiction': 'us-ny',
          'X-Transaction-Type': 'payout',
        },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        tenant: { tenantId: 'acme', jurisdiction: 'US-NY', transactionType: 'payout' },
      });
    });

    it('refuses a request without a tenant with 400 problem+json naming tenantId', async () => {
      const { url } = await start(tenant());
      const response = await fetch(`${url}/who`);
      expect(response.status).toBe(400);
      expect(await problem(response)).toMatchObject({
        type: 'urn:bulwark:problem:tenant-required',
        status: 400,
        field: 'tenantId',
        code: 'BULWARK_INVALID_TENANT_ID',
      });
    });

    it('lets a request without a tenant through, outside any tenant, when required is false', async () => {
      const { url } = await start(tenant({ required: false }));
      const response = await fetch(`${url}/who`);
      expect(await response.json()).toEqual({ tenant: null });
    });

    it.each([
      ['tenantId', { 'X-Tenant-Id': '../etc/passwd' }, 'BULWARK_INVALID_TENANT_ID'],
      ['tenantId', { 'X-Tenant-Id': '' }, 'BULWARK_INVALID_TENANT_ID'],
      [
        'jurisdiction',
        { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'Germany' },
        'BULWARK_INVALID_JURISDICTION',
      ],
      [
        'transactionType',
        { 'X-Tenant-Id': 'acme', 'X-Transaction-Type': 'Pay Out' },
        'BULWARK_INVALID_TRANSACTION_TYPE',
      ],
    ])('answers 400 naming %s for a bad value', async (field, headers, code) => {
      const { url } = await start(tenant());
      const response = await fetch(`${url}/who`, { headers });
      expect(response.status).toBe(400);
      const body = await problem(response);
      expect(body).toMatchObject({ type: 'urn:bulwark:problem:invalid-tenant', field, code });
      expect(JSON.stringify(body)).not.toContain('passwd');
    });
  });

  describe('tenant() and inbound baggage', () => {
    afterEach(() => {
      context.disable();
      propagation.disable();
    });

    it('ignores a baggage header naming another tenant, even when baggage is extracted into context', async () => {
      // What the http instrumentation does for every server request.
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(new W3CBaggagePropagator());
      const app = express();
      app.use((req, _res, next) => {
        context.with(propagation.extract(context.active(), req.headers), next);
      });
      app.use(tenant());
      app.get('/who', (_req, res) => {
        const baggage = propagation.getBaggage(context.active());
        res.json({ tenant: getTenant(), baggageTenant: baggage?.getEntry('tenant.id')?.value });
      });
      served = await serve(app);
      const baggage = 'tenant.id=evil,tenantId=evil,tenant.jurisdiction=KP';

      const withHeader = await fetch(`${served.url}/who`, {
        headers: { 'X-Tenant-Id': 'acme', baggage },
      });
      expect(await withHeader.json()).toEqual({
        tenant: { tenantId: 'acme' },
        baggageTenant: 'evil',
      });
      const baggageOnly = await fetch(`${served.url}/who`, { headers: { baggage } });
      expect(baggageOnly.status).toBe(400);
    });
  });

  describe('tenant() with a custom resolver', () => {
    it('awaits an async resolver', async () => {
      const { url } = await start(
        tenant({
          resolve: async (req) => {
            await sleep(2);
            return { tenantId: `org-${req.get('X-Org') ?? 'none'}`, jurisdiction: 'de' };
          },
        }),
      );
      const response = await fetch(`${url}/who`, { headers: { 'X-Org': '42' } });
      expect(await response.json()).toEqual({ tenant: { tenantId: 'org-42', jurisdiction: 'DE' } });
    });

    it('awaits a thenable that is not a native Promise', async () => {
      const thenable = {
        // biome-ignore lint/suspicious/noThenProperty: a thenable is the point of this test.
        then(resolve: (value: { tenantId: string }) => void) {
          setTimeout(() => resolve({ tenantId: 'from-thenable' }), 1);
        },
      };
      const { url } = await start(tenant({ resolve: () => thenable as never }));
      expect(await (await fetch(`${url}/who`)).json()).toEqual({
        tenant: { tenantId: 'from-thenable' },
      });
    });

    it('answers 400 when the resolver throws an InvalidTenantError', async () => {
      const { url } = await start(
        tenant({
          resolve: () => {
            throw new InvalidTenantError('jurisdiction', 'XX-LONG', 'a known jurisdiction');
          },
        }),
      );
      const response = await fetch(`${url}/who`);
      expect(response.status).toBe(400);
      expect(await problem(response)).toMatchObject({ field: 'jurisdiction' });
    });

    it('hands any other resolver failure, sync or async, to the error handler', async () => {
      const seen: unknown[] = [];
      const { url } = await start(
        tenant({
          resolve: async (req) => {
            if (req.get('X-Sync')) throw new Error('auth backend down');
            await sleep(1);
            throw new Error('auth backend down');
          },
        }),
        (error) => seen.push(error),
      );
      expect((await fetch(`${url}/who`, { headers: { 'X-Sync': '1' } })).status).toBe(500);
      expect((await fetch(`${url}/who`)).status).toBe(500);
      expect(seen.map((error) => (error as Error).message)).toEqual([
        'auth backend down',
        'auth backend down',
      ]);
    });

    it('keeps the tenant through async handlers, later middleware and the response finishing', async () => {
      const app = express();
      const seen: Record<string, string | undefined> = {};
      app.use(tenant({ resolve: () => ({ tenantId: 'acme' }) }));
      app.use((_req, res, next) => {
        res.on('finish', () => {
          seen.finish = getTenant()?.tenantId;
        });
        setImmediate(next);
      });
      app.post('/pay', async (_req, res) => {
        await sleep(2);
        seen.handler = getTenant()?.tenantId;
        await new Promise((resolve) => setTimeout(resolve, 1));
        res.once('close', () => {
          seen.close = getTenant()?.tenantId;
        });
        res.status(201).json({ ok: true });
      });
      served = await serve(app);
      expect((await fetch(`${served.url}/pay`, { method: 'POST' })).status).toBe(201);
      await vi.waitFor(() =>
        expect(seen).toEqual({ handler: 'acme', finish: 'acme', close: 'acme' }),
      );
      expect(getTenant()).toBeUndefined();
    });
  });

  describe('tenant() against header injection', () => {
    const request = (headers: string) => `GET /who HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}`;

    it.each([
      ['a repeated X-Tenant-Id', 'X-Tenant-Id: acme\r\nX-Tenant-Id: evil\r\n', 'tenantId'],
      [
        'a repeated X-Jurisdiction',
        'X-Tenant-Id: acme\r\nX-Jurisdiction: DE\r\nX-Jurisdiction: US\r\n',
        'jurisdiction',
      ],
      ['a 10 KiB tenant id', `X-Tenant-Id: ${'a'.repeat(10_240)}\r\n`, 'tenantId'],
      ['a comma-joined tenant id', 'X-Tenant-Id: acme, evil\r\n', 'tenantId'],
      ['bytes beyond ASCII', 'X-Tenant-Id: acm\xe9\r\n', 'tenantId'],
    ])('answers 400 for %s', async (_name, headers, field) => {
      const { port } = await start(tenant());
      const { status, text } = await rawRequest(port, request(headers));
      expect(status).toBe(400);
      expect(text).toContain(`"field":"${field}"`);
    });

    it.each([
      ['a bare LF inside a value', 'X-Tenant-Id: acme\nX-Jurisdiction: KP\r\n', 400],
      ['a CR inside a value', 'X-Tenant-Id: acme\rX-Evil: 1\r\n', 400],
      ['a NUL inside a value', 'X-Tenant-Id: acme\u0000evil\r\n', 400],
      ['a header beyond the 16 KiB limit of Node', `X-Tenant-Id: ${'a'.repeat(20_000)}\r\n`, 431],
    ])('never answers 5xx for %s, and keeps serving', async (_name, headers, expected = 400) => {
      const seen: unknown[] = [];
      const { port, url } = await start(tenant(), (error) => seen.push(error));
      const { status } = await rawRequest(port, request(headers));
      // Node's parser refuses these before any middleware runs.
      expect(status).toBe(expected);
      expect(seen).toEqual([]);
      expect((await fetch(`${url}/who`, { headers: { 'X-Tenant-Id': 'acme' } })).status).toBe(200);
    });
  });

  describe('tenant() construction', () => {
    it.each([
      ['resolve', { resolve: 'x-tenant-id' }],
      ['required', { required: 'yes' }],
      ['options', null],
    ])('refuses an invalid %s when created', (field, options) => {
      let thrown: unknown;
      try {
        tenant(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(isBulwarkError(thrown, 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((thrown as Error).message).toContain(`"${field}"`);
    });

    it('returns a named middleware function', () => {
      expect(tenant().name).toBe('tenantMiddleware');
    });

    it('explains app.use(tenant) without the call', async () => {
      const seen: unknown[] = [];
      const { url } = await start(tenant as unknown as RequestHandler, (error) => seen.push(error));
      expect((await fetch(`${url}/who`)).status).toBe(500);
      expect(isBulwarkError(seen[0], 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((seen[0] as Error).message).toContain('app.use(tenant())');
    });
  });
});
