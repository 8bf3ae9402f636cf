import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, fetchMeta } from '../../src/fetch/index.js';
import { type Loopback, type SeenRequest, startLoopback } from './loopback.js';

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(new TracerProvider());
});
afterAll(() => {
  trace.disable();
  context.disable();
});

/** Runs `fn` as an instrumented handler would: an active span, tenant baggage. */
function inTenantContext<T>(fn: () => Promise<T>): Promise<T> {
  const span = trace.getTracer('test').startSpan('handler');
  const baggage = propagation.createBaggage({ 'tenant.id': { value: 'acme' } });
  const ctx = propagation.setBaggage(trace.setSpan(context.active(), span), baggage);
  return context.with(ctx, fn).finally(() => span.end());
}

const servers: Loopback[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A server that answers every request with `status` and `Location: location(origin)`. */
async function redirecting(status: number, location: (self: string) => string) {
  const s = await startLoopback((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { location: location(s.origin) }).end());
  });
  servers.push(s);
  return s;
}

/** A server that reads the request and answers 201 with a JSON body. */
async function landing() {
  const s = await startLoopback((req, res) => {
    req.resume();
    req.on('end', () =>
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"landed":true}'),
    );
  });
  servers.push(s);
  return s;
}

/** The headers bulwark decides per origin, as one request received them. */
function scoped(seen: SeenRequest | undefined) {
  const h = seen?.headers ?? {};
  return {
    method: seen?.method,
    body: Buffer.concat(seen?.body ?? []).toString('utf8'),
    key: h['idempotency-key'],
    baggage: h.baggage,
    traceparent: typeof h.traceparent === 'string' ? 'present' : undefined,
    authorization: h.authorization,
    contentType: h['content-type'],
  };
}

const payment = {
  method: 'POST',
  body: '{"amount":100}',
  headers: {
    'content-type': 'application/json',
    'idempotency-key': 'transfer-1',
    authorization: 'Bearer partner-token',
  },
} as const;

describe('a redirect to another origin', () => {
  for (const status of [307, 308]) {
    it(`${status} of a keyed POST from an allow-listed origin: not followed, nothing reaches the other origin`, async () => {
      const other = await landing();
      const partner = await redirecting(status, () => `${other.origin}/collect`);
      const f = createFetch({ baggageOrigins: [partner.origin] });
      const res = await inTenantContext(() => f(`${partner.origin}/payments`, payment));
      expect(res.status).toBe(status);
      expect(res.headers.get('location')).toBe(`${other.origin}/collect`);
      expect(other.seen).toHaveLength(0);
      expect(scoped(partner.seen[0])).toMatchObject({
        key: 'transfer-1',
        baggage: 'tenant.id=acme',
        traceparent: 'present',
      });
      expect(fetchMeta(res)?.attempts).toBe(1);
    });

    it(`${status} of a keyed POST to an origin allowed for the key: followed with key and body, no baggage or credentials`, async () => {
      const other = await landing();
      const partner = await redirecting(status, () => `${other.origin}/collect`);
      const f = createFetch({
        baggageOrigins: [partner.origin],
        idempotencyKeyOrigins: [other.origin],
      });
      const res = await inTenantContext(() => f(`${partner.origin}/payments`, payment));
      expect(res.status).toBe(201);
      expect(res.redirected).toBe(true);
      expect(res.url).toBe(`${other.origin}/collect`);
      expect(await res.json()).toEqual({ landed: true });
      expect(scoped(other.seen[0])).toEqual({
        method: 'POST',
        body: '{"amount":100}',
        key: 'transfer-1',
        baggage: undefined,
        traceparent: 'present',
        authorization: undefined,
        contentType: 'application/json',
      });
    });
  }

  it('301 of a keyed PATCH (which keeps its method and body): not followed', async () => {
    const other = await landing();
    const partner = await redirecting(301, () => `${other.origin}/collect`);
    const f = createFetch();
    const res = await f(`${partner.origin}/payments/1`, { ...payment, method: 'PATCH' });
    expect(res.status).toBe(301);
    expect(other.seen).toHaveLength(0);
  });

  it('a POST without a key (adding keys off) follows a 307 as fetch does, without baggage', async () => {
    const other = await landing();
    const partner = await redirecting(307, () => `${other.origin}/collect`);
    const f = createFetch({ addIdempotencyKey: false, baggageOrigins: [partner.origin] });
    const res = await inTenantContext(() =>
      f(`${partner.origin}/payments`, { method: 'POST', body: 'x' }),
    );
    expect(res.status).toBe(201);
    expect(scoped(other.seen[0])).toMatchObject({ method: 'POST', body: 'x', key: undefined });
    expect(other.seen[0]?.headers.baggage).toBeUndefined();
  });

  it('307 of a GET: followed; the other origin gets traceparent, and no baggage, key or credentials', async () => {
    const other = await landing();
    const partner = await redirecting(307, () => `${other.origin}/statement`);
    const f = createFetch({ baggageOrigins: [partner.origin] });
    const res = await inTenantContext(() =>
      f(`${partner.origin}/statement`, {
        headers: { 'idempotency-key': 'read-1', authorization: 'Bearer partner-token' },
      }),
    );
    expect(res.status).toBe(201);
    expect(scoped(other.seen[0])).toEqual({
      method: 'GET',
      body: '',
      key: undefined,
      baggage: undefined,
      traceparent: 'present',
      authorization: undefined,
      contentType: undefined,
    });
    expect(scoped(partner.seen[0])).toMatchObject({ baggage: 'tenant.id=acme', key: 'read-1' });
  });

  for (const status of [302, 303]) {
    it(`${status} of a POST: followed as a GET without body, key, baggage or credentials`, async () => {
      const other = await landing();
      const partner = await redirecting(status, () => `${other.origin}/receipt`);
      const f = createFetch({ baggageOrigins: [partner.origin, other.origin] });
      const res = await inTenantContext(() => f(`${partner.origin}/payments`, payment));
      expect(res.status).toBe(201);
      expect(scoped(other.seen[0])).toEqual({
        method: 'GET',
        body: '',
        key: undefined,
        // The other origin is allow-listed for baggage here: it gets it.
        baggage: 'tenant.id=acme',
        traceparent: 'present',
        authorization: undefined,
        contentType: undefined,
      });
    });
  }
});

describe('a redirect within the same origin', () => {
  for (const status of [307, 308]) {
    it(`${status} of a keyed POST: followed with the same key, body, baggage and credentials`, async () => {
      const s = await startLoopback((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.url === '/payments') res.writeHead(status, { location: '/v2/payments' }).end();
          else res.writeHead(201).end('{}');
        });
      });
      servers.push(s);
      const f = createFetch({ baggageOrigins: [s.origin] });
      const res = await inTenantContext(() => f(`${s.origin}/payments`, payment));
      expect(res.status).toBe(201);
      expect(s.seen.map((r) => r.url)).toEqual(['/payments', '/v2/payments']);
      const [first, second] = s.seen.map(scoped);
      expect(second).toEqual({
        method: 'POST',
        body: '{"amount":100}',
        key: 'transfer-1',
        baggage: 'tenant.id=acme',
        traceparent: 'present',
        authorization: 'Bearer partner-token',
        contentType: 'application/json',
      });
      expect(first).toEqual(second);
    });
  }

  it('keeps the generated key across a same-origin redirect', async () => {
    const s = await startLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/payments') res.writeHead(308, { location: '/v2/payments' }).end();
        else res.writeHead(201).end('{}');
      });
    });
    servers.push(s);
    const f = createFetch();
    const res = await f(`${s.origin}/payments`, { method: 'POST', body: 'x' });
    const keys = s.seen.map((r) => r.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(fetchMeta(res)?.idempotencyKey).toBe(keys[0]);
  });

  it('drops credentials for good once a hop left the origin (A → B → A)', async () => {
    const a = await startLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/start') res.writeHead(307, { location: `${b.origin}/bounce` }).end();
        else res.writeHead(200).end('{}');
      });
    });
    servers.push(a);
    const b = await redirecting(307, () => `${a.origin}/back`);
    const f = createFetch();
    const res = await f(`${a.origin}/start`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    expect(a.seen.map((r) => r.headers.authorization)).toEqual(['Bearer t', undefined]);
    expect(b.seen[0]?.headers.authorization).toBeUndefined();
  });
});

describe('redirect rules kept from fetch', () => {
  it('gives up after 20 redirects, like fetch', async () => {
    const loop = await redirecting(307, (self) => `${self}/again`);
    const f = createFetch({ resilience: { retry: false } });
    const error = await f(`${loop.origin}/start`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error as Error).cause)).toMatch(/redirect count exceeded/);
    expect(loop.seen).toHaveLength(21);
  });

  it("redirect: 'manual' returns the 3xx as it came", async () => {
    const other = await landing();
    const s = await redirecting(307, () => `${other.origin}/x`);
    const f = createFetch();
    const res = await f(`${s.origin}/a`, { redirect: 'manual' });
    expect(res.status).toBe(307);
    expect(other.seen).toHaveLength(0);
  });

  it("redirect: 'error' rejects on a redirect", async () => {
    const other = await landing();
    const s = await redirecting(307, () => `${other.origin}/x`);
    const f = createFetch({ resilience: { retry: false } });
    await expect(f(`${s.origin}/a`, { redirect: 'error' })).rejects.toThrow(TypeError);
    expect(other.seen).toHaveLength(0);
  });

  it('rejects invalid idempotencyKeyOrigins, naming the field', () => {
    expect(() => createFetch({ idempotencyKeyOrigins: ['not a url'] })).toThrow(
      /idempotencyKeyOrigins/,
    );
    expect(() => createFetch({ idempotencyKeyOrigins: 'https://a.example' as never })).toThrow(
      /idempotencyKeyOrigins/,
    );
  });

  it('resolves a relative Location against the URL that answered', async () => {
    const s = await startLoopback((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/a/b') res.writeHead(302, { location: '../c?x=1' }).end();
        else res.writeHead(200).end('{}');
      });
    });
    servers.push(s);
    const res = await createFetch()(`${s.origin}/a/b`);
    expect(res.status).toBe(200);
    expect(s.seen.map((r) => r.url)).toEqual(['/a/b', '/c?x=1']);
  });

  it('returns a 3xx without Location as the final response', async () => {
    const s = await startLoopback((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(307).end());
    });
    servers.push(s);
    const res = await createFetch()(`${s.origin}/a`);
    expect(res.status).toBe(307);
    expect(s.seen).toHaveLength(1);
  });

  it('a stream body above the buffer cap cannot follow a 307 (it was sent once)', async () => {
    const other = await landing();
    const s = await redirecting(307, () => `${s.origin}/again`);
    const f = createFetch({ maxBufferedBodyBytes: 2 });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('abcdef'));
        controller.close();
      },
    });
    const error = await f(`${s.origin}/a`, { method: 'POST', body }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(s.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(0);
  });
});
