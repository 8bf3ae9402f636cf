import { type Attributes, metrics } from '@opentelemetry/api';
import type { HistogramMetricData } from '@opentelemetry/sdk-metrics';
import type { Express, NextFunction, Request, Response } from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RequestMetricsOptions, requestMetrics, tenant } from '../../src/express/index.js';
import { isBulwarkError } from '../../src/index.js';
import {
  collectMetric,
  installMeterProvider,
  recordedAttributes,
  type TestReader,
} from '../support/telemetry.js';
import { majors, type Served, serve } from './serve.js';

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

const DURATION = 'http.server.request.duration';

/** The `http.server.request.duration` metric as collected now. */
const durationMetric = async () =>
  (await collectMetric(reader, DURATION)) as HistogramMetricData | undefined;

const points = () => recordedAttributes(reader, DURATION);

/** Waits until `count` requests were recorded, and returns their attributes. */
async function recorded(count: number): Promise<Attributes[]> {
  return vi.waitFor(async () => {
    const all = await points();
    expect(all).toHaveLength(count);
    return all;
  });
}

async function start(app: Express) {
  served = await serve(app);
  return served;
}

describe.each(majors)('requestMetrics() on $name', ({ name, express }) => {
  function paymentsApp(options?: RequestMetricsOptions): Express {
    const app = express();
    app.use(requestMetrics(options), tenant({ required: false }));
    app.get('/transfers/:id', (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  }

  describe('requestMetrics() records http.server.request.duration', () => {
    it('with the stable HTTP semantic conventions: name, unit, buckets and attributes', async () => {
      const { url } = await start(paymentsApp());
      const response = await fetch(`${url}/transfers/tr-8f3a?x=1`, {
        headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'de' },
      });
      expect(response.status).toBe(200);
      const [attributes] = await recorded(1);
      expect(attributes).toEqual({
        'http.request.method': 'GET',
        'http.route': '/transfers/:id',
        'http.response.status_code': 200,
        'tenant.jurisdiction': 'DE',
        'tenant.id': 'acme',
      });
      const metric = await durationMetric();
      expect(metric?.descriptor.unit).toBe('s');
      expect(metric?.dataPoints[0]?.value.buckets.boundaries).toEqual([
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
      ]);
      const seconds = metric?.dataPoints[0]?.value.sum ?? -1;
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThan(60);
    });

    it('uses route templates of param mounts, nested routers and sub-apps, never the raw path', async () => {
      const app = express();
      app.use(requestMetrics());
      const transfers = express.Router();
      transfers.get('/transfers/:id', (_req, res) => {
        res.end();
      });
      transfers.get('/', (_req, res) => {
        res.end();
      });
      const v1 = express();
      v1.use('/tenants/:tenant', transfers);
      app.use('/v1', v1);
      await start(app);
      await fetch(`${served?.url}/v1/tenants/acme-4711/transfers/tr-1`);
      await fetch(`${served?.url}/v1/tenants/acme-4711/`);
      const routes = (await recorded(2)).map((attributes) => attributes['http.route']).sort();
      expect(routes).toEqual(['/v1/tenants/:tenant', '/v1/tenants/:tenant/transfers/:id']);
    });

    it('uses route templates through routers mounted on the app, nested, with optional and format params', async () => {
      const app = express();
      app.use(requestMetrics());
      const files = express.Router();
      files.get('/:name.:ext', (_req, res) => void res.end());
      const transfers = express.Router();
      // An optional parameter is spelled differently on each major.
      const optional = name === 'express 4' ? '/:id/:part?' : '/:id{/:part}';
      transfers.get(optional, (_req, res) => void res.end());
      transfers.use('/:id/files', files);
      app.use('/v1/transfers', transfers);
      await start(app);
      await fetch(`${served?.url}/v1/transfers/tr-1`);
      await fetch(`${served?.url}/v1/transfers/tr-1/fees`);
      await fetch(`${served?.url}/v1/transfers/tr-1/files/receipt.pdf`);
      const routes = (await recorded(3)).map((attributes) => attributes['http.route']).sort();
      expect(routes).toEqual(
        [
          `/v1/transfers${optional}`,
          `/v1/transfers${optional}`,
          '/v1/transfers/:id/files/:name.:ext',
        ].sort(),
      );
    });
  });

  describe('requestMetrics() and tenants', () => {
    it('finds the tenant when tenant() runs later, inside a route', async () => {
      const app = express();
      app.use(requestMetrics());
      app.post('/transfers', tenant(), (_req, res) => {
        res.status(201).end();
      });
      const { url } = await start(app);
      await fetch(`${url}/transfers`, {
        method: 'POST',
        headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'GB' },
      });
      const [attributes] = await recorded(1);
      expect(attributes).toMatchObject({ 'tenant.id': 'acme', 'tenant.jurisdiction': 'GB' });
    });

    it('finds the tenant in every requestMetrics() before tenant(), each request its own, after an asynchronous step too', async () => {
      const app = express();
      // An asynchronous step between the metrics and tenant() (an auth lookup, say), and an asynchronous resolver.
      const later = (_req: Request, _res: Response, next: NextFunction) => {
        setTimeout(next, 5);
      };
      const resolve = async (req: Request) => ({ tenantId: String(req.headers['x-tenant-id']) });
      app.use('/slow', requestMetrics(), requestMetrics(), later, tenant({ resolve }));
      app.use('/fast', requestMetrics(), requestMetrics(), tenant());
      app.get('/slow/:id', (_req, res) => {
        res.json({ ok: true });
      });
      app.get('/fast/:id', (_req, res) => {
        res.json({ ok: true });
      });
      const { url } = await start(app);
      const ids = ['t-1', 't-2', 't-3', 't-4'];
      await Promise.all(
        ['slow', 'fast'].flatMap((path) =>
          ids.map(async (id) => {
            const headers = { 'X-Tenant-Id': id };
            const response = await fetch(`${url}/${path}/${id}`, { headers });
            await response.arrayBuffer();
          }),
        ),
      );
      // Two requestMetrics() per request: each records it with its tenant.
      const all = await recorded(ids.length * 4);
      const tenantsOf = (route: string) =>
        all
          .filter((attributes) => attributes['http.route'] === route)
          .map((attributes) => attributes['tenant.id'])
          .sort();
      const twice = [...ids, ...ids].sort();
      expect(tenantsOf('/slow/:id')).toEqual(twice);
      expect(tenantsOf('/fast/:id')).toEqual(twice);
    });

    it('honours maxTenants and can leave tenant.id out while keeping the jurisdiction', async () => {
      const { url } = await start(paymentsApp({ maxTenants: 2 }));
      for (const id of ['a', 'b', 'c', 'd']) {
        await fetch(`${url}/transfers/1`, { headers: { 'X-Tenant-Id': id } });
      }
      const values = (await recorded(4)).map((attributes) => attributes['tenant.id']);
      expect(new Set(values)).toEqual(new Set(['a', 'b', 'other']));
      await served?.close();
      reader = installMeterProvider();
      served = await serve(paymentsApp({ recordTenantId: false }));
      await fetch(`${served.url}/transfers/1`, {
        headers: { 'X-Tenant-Id': 'acme', 'X-Jurisdiction': 'FR' },
      });
      const [attributes] = await recorded(1);
      expect(attributes?.['tenant.id']).toBeUndefined();
      expect(attributes?.['tenant.jurisdiction']).toBe('FR');
    });
  });

  describe('requestMetrics() construction', () => {
    it.each([
      ['maxTenants', { maxTenants: -1 }],
      ['maxTenants', { maxTenants: 1.5 }],
      ['recordTenantId', { recordTenantId: 'no' }],
      ['slos', { slos: [{}] }],
      ['slos', { slos: 'all' }],
      ['tenantClass', { tenantClass: 'premium' }],
      ['options', 42],
    ])('refuses an invalid %s when created', (field, options) => {
      let thrown: unknown;
      try {
        requestMetrics(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(isBulwarkError(thrown, 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((thrown as Error).message).toContain(`"${field}"`);
    });

    it('returns a named middleware function', () => {
      expect(requestMetrics().name).toBe('requestMetricsMiddleware');
    });

    it('records through a meter provider registered after it was created', async () => {
      const app = paymentsApp();
      reader = installMeterProvider();
      await start(app);
      await fetch(`${served?.url}/transfers/1`);
      expect(await recorded(1)).toHaveLength(1);
    });

    it('explains app.use(requestMetrics) without the call', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.use(requestMetrics as never);
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        seen.push(error);
        res.status(500).end();
      });
      await start(app);
      await fetch(`${served?.url}/`);
      expect((seen[0] as Error).message).toContain('app.use(requestMetrics())');
    });
  });
});
