import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { metrics } from '@opentelemetry/api';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bulwark } from '../../src/fastify/index.js';
import { exchangeOf } from '../../src/fastify/request-slots.js';
import {
  ErrorCode,
  getOperation,
  getTenant,
  isBulwarkError,
  MemoryStore,
} from '../../src/index.js';
import { gate, postJson } from '../express/idempotency-helpers.js';
import { wire } from '../express/wire.js';
import { installMeterProvider, recordedAttributes } from '../support/telemetry.js';

/*
 * What only the Fastify plugin has: registration and encapsulation, each part
 * off with `false`, route config, Fastify's reply kinds (a plain stream),
 * hooks of the application inside the tenant, and the ways a Fastify handler
 * can answer twice.
 */

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    app.server.closeAllConnections();
    await app.close();
  }
});

/** POSTs `{ ok: true }` to `/t` of `app` (served) as tenant `acme`, under a fresh key. */
async function postAsAcme(app: FastifyInstance): Promise<Response> {
  const { url } = await serve(app);
  return postJson(`${url}/t`, randomUUID(), { ok: true }, { 'x-tenant-id': 'acme' });
}

async function serve(app: FastifyInstance): Promise<{ url: string; port: number }> {
  apps.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port };
}

describe('bulwark (Fastify plugin): registration', () => {
  it('applies to routes in child plugins and under prefixes; http scopes use the prefixed template', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: { required: false } });
    let runs = 0;
    await app.register(
      async (child) => {
        child.post('/items/:id', async (request) => {
          runs += 1;
          return {
            id: (request.params as { id: string }).id,
            tenant: getTenant()?.tenantId ?? null,
          };
        });
      },
      { prefix: '/v1' },
    );
    const { url } = await serve(app);
    const key = randomUUID();
    const post = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'idempotency-key': key, 'x-tenant-id': 'acme' },
      });
    expect(await (await post('/v1/items/1')).json()).toEqual({ id: '1', tenant: 'acme' });
    expect((await post('/v1/items/1')).headers.get('idempotent-replayed')).toBe('true');
    expect((await post('/v1/items/2')).status).toBe(422); // one template, one scope
    expect((await fetch(`${url}/v1/items/3`, { method: 'POST' })).status).toBe(400); // key required
    expect(runs).toBe(1);
  });

  it.each([
    [{ idempotency: { leaseMs: 0 } }, 'leaseMs'],
    [{ idempotency: { headerName: 'bad header' } }, 'headerName'],
    [{ tenant: { required: 'yes' } }, 'required'],
    [{ metrics: { maxTenants: -1 } }, 'maxTenants'],
    [{ errors: { retryAfterMs: -1 } }, 'retryAfterMs'],
    [{ idempotence: {} }, 'idempotence'],
    [{ tenant: 'x-tenant-id' }, 'tenant'],
  ])('refuses %j at registration, naming "%s"', async (options, field) => {
    const app = Fastify();
    apps.push(app);
    let thrown: unknown;
    try {
      await app.register(bulwark, options as never);
    } catch (error) {
      thrown = error;
    }
    expect(isBulwarkError(thrown, ErrorCode.InvalidOptions)).toBe(true);
    expect((thrown as Error).message).toContain(`"${field}"`);
  });

  it('turns each part off with false', async () => {
    const app = Fastify();
    await app.register(bulwark, {
      tenant: false,
      idempotency: false,
      errors: false,
      metrics: false,
    });
    app.post('/x', async () => ({ tenant: getTenant() ?? null }));
    app.post('/fail', async () => {
      throw new Error('plain');
    });
    const { url } = await serve(app);
    // No tenant required, no key required, and Fastify's own error answer.
    expect(await (await fetch(`${url}/x`, { method: 'POST' })).json()).toEqual({ tenant: null });
    const failed = await fetch(`${url}/fail`, { method: 'POST' });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('runs the application hooks registered after it inside the tenant, and the handler inside the operation', async () => {
    const app = Fastify();
    await app.register(bulwark);
    const seen: Record<string, unknown> = {};
    app.addHook('preValidation', async () => {
      seen.preValidation = getTenant()?.tenantId;
    });
    app.addHook('onSend', async () => {
      seen.onSend = getTenant()?.tenantId;
    });
    app.post('/t', async (request, reply) => {
      seen.handler = getTenant()?.tenantId;
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.handlerOperation = getOperation()?.id;
      return reply.code(201).send({ ok: (request.body as { ok: boolean }).ok });
    });
    expect((await postAsAcme(app)).status).toBe(201);
    expect(seen).toEqual({
      preValidation: 'acme',
      handler: 'acme',
      handlerOperation: expect.stringMatching(/^[0-9a-f-]{36}$/),
      onSend: 'acme',
    });
  });

  it('keeps, after the body, what an onRequest hook registered after it entered', async () => {
    const app = Fastify();
    await app.register(bulwark);
    const store = new AsyncLocalStorage<string>();
    app.addHook('onRequest', (_request, _reply, done) => {
      store.run('entered by a later hook', done);
    });
    const seen: Record<string, unknown> = {};
    app.post('/t', async (request, reply) => {
      seen.handler = [getTenant()?.tenantId, store.getStore()];
      return reply.code(201).send({ ok: (request.body as { ok: boolean }).ok });
    });
    expect((await postAsAcme(app)).status).toBe(201);
    expect(seen).toEqual({ handler: ['acme', 'entered by a later hook'] });
  });

  it('enters the tenant again after the body when a hook continued outside it', async () => {
    const app = Fastify();
    await app.register(bulwark);
    // A hook that goes on from a callback carrying another context (a pool, a legacy client).
    const elsewhere = new AsyncResource('elsewhere');
    app.addHook('onRequest', (_request, _reply, done) => {
      elsewhere.runInAsyncScope(done);
    });
    const seen: Record<string, unknown> = {};
    app.post('/t', async (request, reply) => {
      seen.handler = getTenant()?.tenantId;
      return reply.code(201).send({ ok: (request.body as { ok: boolean }).ok });
    });
    expect((await postAsAcme(app)).status).toBe(201);
    expect(seen).toEqual({ handler: 'acme' });
  });
});

describe('bulwark (Fastify plugin): replies', () => {
  it('a plain stream reply is passed through and never recorded: the key is released', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: false });
    let runs = 0;
    app.post('/s', async (_request, reply) => {
      runs += 1;
      return reply.type('text/plain').send(Readable.from(['one, ', 'two']));
    });
    const { url } = await serve(app);
    const key = randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const r = await fetch(`${url}/s`, { method: 'POST', headers: { 'idempotency-key': key } });
      expect([await r.text(), r.headers.get('idempotent-replayed')]).toEqual(['one, two', null]);
    }
    await expect.poll(() => runs).toBe(2);
  });

  it('a route opts out with config: { idempotency: false }', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: false });
    app.post('/free', { config: { idempotency: false } }, async () => ({ ok: true }));
    const { url } = await serve(app);
    expect((await fetch(`${url}/free`, { method: 'POST' })).status).toBe(200);
  });

  it('a schema validation error is 400 problem+json, and no key is claimed for it', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: false });
    let runs = 0;
    app.post(
      '/v',
      {
        schema: {
          body: {
            type: 'object',
            required: ['amount'],
            properties: { amount: { type: 'integer' } },
          },
        },
      },
      async () => {
        runs += 1;
        return { ok: true };
      },
    );
    const { url } = await serve(app);
    const key = randomUUID();
    const bad = await postJson(`${url}/v`, key, { amount: 'lots' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'urn:bulwark:problem:invalid-request' });
    expect((await postJson(`${url}/v`, key, { amount: 1 })).status).toBe(200);
    expect(runs).toBe(1);
  });
});

describe('bulwark (Fastify plugin): one answer, whatever the handler does after it', () => {
  const request = (key: string) =>
    `POST /t HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${key}\r\nContent-Length: 0\r\n\r\n`;

  async function oneAnswer(url: string, port: number) {
    const connection = await wire(port);
    const key = randomUUID();
    connection.send(request(key));
    const first = await connection.nextResponse();
    connection.send(request(key));
    const replay = await connection.nextResponse();
    const leftover = (await connection.leftover(150)).toString();
    connection.close();
    await fetch(`${url}/ping`); // the server still serves
    return { first, replay, leftover };
  }

  /** Serves `app` (its POST /t answering 201 `made`): one answer on the wire, replayed on retry, and the server serves on. */
  async function expectOneRecordedAnswer(app: FastifyInstance): Promise<void> {
    app.get('/ping', async () => 'pong');
    const { url, port } = await serve(app);
    const { first, replay, leftover } = await oneAnswer(url, port);
    expect([first.status, first.body.toString()]).toEqual([201, 'made']);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(leftover).toBe('');
  }

  it('an error after the answer, with an application error handler that always answers: no second head', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: false, errors: false });
    app.setErrorHandler(async (_error, _request, reply) =>
      reply.code(500).header('x-error-handler', 'ran').send({ error: 'internal' }),
    );
    let runs = 0;
    app.post('/t', async (_request, reply) => {
      runs += 1;
      reply.code(201).send('made');
      throw new Error('after the answer');
    });
    app.get('/ping', async () => 'pong');
    const { url, port } = await serve(app);
    const { first, replay, leftover } = await oneAnswer(url, port);
    expect([first.status, first.body.toString()]).toEqual([201, 'made']);
    // The head the error handler wrote meanwhile is not the answer's: it goes out as it was.
    expect(first.headers['x-error-handler']).toBeUndefined();
    expect(first.headers['content-type']).toMatch(/^text\/plain/);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(leftover).toBe('');
    expect(runs).toBe(1);
  });

  // The answer is recorded where the handler answers; the error that follows
  // in the same step must still find it held, or Fastify only logs it.
  const throwsAfterAnswering = {
    'an async handler': async (_request: FastifyRequest, reply: FastifyReply) => {
      reply.code(201).send('made');
      throw new Error('after the answer');
    },
    'a synchronous handler': (_request: FastifyRequest, reply: FastifyReply) => {
      reply.code(201).send('made');
      throw new Error('after the answer');
    },
  };
  for (const [kind, handler] of Object.entries(throwsAfterAnswering)) {
    it(`${kind} that throws right after answering, before any await: onError hears it, the answer stands and is recorded`, async () => {
      const app = Fastify();
      const errors: unknown[] = [];
      await app.register(bulwark, {
        tenant: false,
        errors: { onError: (error) => errors.push(error) },
      });
      app.post('/t', handler);
      await expectOneRecordedAnswer(app);
      await expect.poll(() => errors.length).toBe(1);
      expect((errors[0] as Error).message).toBe('after the answer');
    });
  }

  // A route declared before the plugin is not wrapped (Fastify's onRoute comes
  // too late for it): its answer is held until the handler's reactions have
  // run, so the error still finds it unsent and takes Fastify's error path.
  for (const [kind, handler] of Object.entries(throwsAfterAnswering)) {
    it(`${kind} declared before the plugin, that throws right after answering: Fastify's onError hooks hear it, the answer stands and is recorded`, async () => {
      const app = Fastify();
      app.post('/t', handler);
      await app.register(bulwark, { tenant: false });
      const heard: unknown[] = [];
      app.addHook('onError', (_request, _reply, error, done) => {
        heard.push(error);
        done();
      });
      await expectOneRecordedAnswer(app);
      await expect.poll(() => heard.length).toBe(1);
      expect((heard[0] as Error).message).toBe('after the answer');
    });
  }

  // A subclass of MemoryStore is called through its promises, as any store
  // that records asynchronously (Redis, PostgreSQL): its answer is still held
  // when the handler throws right after answering.
  const stores = {
    'a MemoryStore (the answer recorded and sent at once)': () => new MemoryStore(),
    'a store that records asynchronously (the answer held meanwhile)': () =>
      new (class AsynchronousStore extends MemoryStore {})(),
  };
  for (const [storeKind, makeStore] of Object.entries(stores)) {
    it(`over ${storeKind}, an error after the answer: told to errors.onError once; neither an onError hook nor the error handler of the application hears it; the metrics record the answer as sent`, async () => {
      const reader = installMeterProvider();
      try {
        const app = Fastify();
        const reported: unknown[] = [];
        const heardByApp: unknown[] = [];
        await app.register(bulwark, {
          tenant: false,
          idempotency: { store: makeStore() },
          errors: { onError: (error) => reported.push(error) },
        });
        app.addHook('onError', (_request, _reply, error, done) => {
          heardByApp.push(error);
          done();
        });
        await app.register(async (child) => {
          child.setErrorHandler(async (error, _request, reply) => {
            heardByApp.push(error);
            return reply.code(500).send({ error: 'internal' });
          });
          child.post('/t', throwsAfterAnswering['an async handler']);
        });
        await expectOneRecordedAnswer(app);
        await expect.poll(() => reported.length).toBe(1);
        expect(heardByApp).toEqual([]);
        const sent = await vi.waitFor(async () => {
          const all = await recordedAttributes(reader, 'http.server.request.duration');
          const posts = all.filter((a) => a['http.route'] === '/t');
          expect(posts).toHaveLength(2);
          return posts;
        });
        expect(sent.map((a) => [a['http.response.status_code'], a['error.type']])).toEqual([
          [201, undefined],
          [201, undefined],
        ]);
      } finally {
        metrics.disable();
      }
    });
  }

  it('an answer still in an asynchronous onSend hook of the application when the handler throws: one answer, recorded, and errors.onError told', async () => {
    const app = Fastify();
    const reported: unknown[] = [];
    await app.register(bulwark, {
      tenant: false,
      errors: { onError: (error) => reported.push(error) },
    });
    app.addHook('onSend', async (_request, _reply, payload) => {
      await new Promise((resolve) => setImmediate(resolve));
      return payload;
    });
    app.post('/t', throwsAfterAnswering['an async handler']);
    await expectOneRecordedAnswer(app);
    expect(reported.map((error) => (error as Error).message)).toEqual(['after the answer']);
  });

  for (const [kind, handler] of Object.entries(throwsAfterAnswering)) {
    it(`${kind} that throws right after answering, with the errors part off: the error is logged once on the request's logger`, async () => {
      const lines: { msg?: string; err?: { message?: string } }[] = [];
      const app = Fastify({
        logger: {
          level: 'error',
          stream: { write: (line: string) => lines.push(JSON.parse(line)) },
        },
      });
      await app.register(bulwark, { tenant: false, errors: false });
      app.post('/t', handler);
      await expectOneRecordedAnswer(app);
      await expect
        .poll(() => lines.filter((line) => line.err?.message === 'after the answer'))
        .toHaveLength(1);
    });
  }

  it('a handler that sends without returning the reply: one answer, recorded', async () => {
    const app = Fastify();
    await app.register(bulwark, { tenant: false });
    let runs = 0;
    app.post('/t', async (_request, reply) => {
      runs += 1;
      reply.code(201).send('made');
    });
    await expectOneRecordedAnswer(app);
    expect(runs).toBe(1);
  });

  it('a client that disconnects: the handler keeps its key (409 meanwhile), and its answer is replayed', async () => {
    const app = Fastify();
    await app.register(bulwark, {
      tenant: false,
      idempotency: { store: new MemoryStore(), leaseMs: 500 },
    });
    const release = gate();
    let runs = 0;
    app.post('/t', async (_request, reply) => {
      runs += 1;
      const run = runs;
      if (run === 1) await release.wait;
      return reply.code(201).send({ run });
    });
    const { url, port } = await serve(app);
    const key = randomUUID();
    const client = await wire(port);
    client.send(request(key));
    await expect.poll(() => runs).toBe(1);
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // two leases
    expect(
      (await fetch(`${url}/t`, { method: 'POST', headers: { 'idempotency-key': key } })).status,
    ).toBe(409);
    release.open();
    let after: Response | undefined;
    await expect
      .poll(async () => {
        after = await fetch(`${url}/t`, { method: 'POST', headers: { 'idempotency-key': key } });
        return after.status;
      })
      .toBe(201);
    expect(after?.headers.get('idempotent-replayed')).toBe('true');
    expect(await after?.json()).toEqual({ run: 1 });
    expect(runs).toBe(1);
  });
});

describe('bulwark (Fastify plugin): a hijacked reply', () => {
  it('a handler that hijacks and answers on the raw response: never recorded, the key is released', async () => {
    const app = Fastify();
    await app.register(bulwark, {
      tenant: false,
      idempotency: { store: new MemoryStore(), leaseMs: 60_000 },
    });
    let runs = 0;
    app.post('/raw', async (_request, reply) => {
      runs += 1;
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      reply.raw.end('raw answer');
    });
    const { url } = await serve(app);
    const key = randomUUID();
    for (let i = 0; i < 2; i += 1) {
      const r = await fetch(`${url}/raw`, { method: 'POST', headers: { 'idempotency-key': key } });
      expect([r.status, await r.text()]).toEqual([200, 'raw answer']);
    }
    expect(runs).toBe(2);
  });
});

describe('bulwark (Fastify plugin): what a request leaves behind', () => {
  // A WeakMap entry left until the request is collected kept the request's
  // whole object graph alive through every young-generation GC (see
  // forgetExchange): the exchange goes as soon as the response has finished.
  it('drops the exchange of a recorded request once its response has finished', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(bulwark, { tenant: false, idempotency: { store: new MemoryStore() } });
    const seen: FastifyRequest[] = [];
    app.post('/transfers', async (request, reply) => {
      seen.push(request);
      expect(exchangeOf(request)).toBeDefined();
      return reply.code(201).send({ id: 'tr_1' });
    });
    const response = await app.inject({
      method: 'POST',
      url: '/transfers',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      payload: { amount: 1 },
    });
    expect(response.statusCode).toBe(201);
    expect(seen).toHaveLength(1);
    expect(exchangeOf(seen[0] as FastifyRequest)).toBeUndefined();
  });
});

describe('bulwark (Fastify plugin): an error before the handler runs', () => {
  it('is answered through the error handler, not left hanging (a store that answers a record without its response)', async () => {
    const app = Fastify();
    apps.push(app);
    const store = new MemoryStore();
    // A broken store: the key is "completed", with this request's fingerprint, but no response.
    store.claim = async (request) =>
      ({ outcome: 'completed', fingerprint: request.fingerprint }) as never;
    await app.register(bulwark, { tenant: false, idempotency: { store } });
    let runs = 0;
    app.post('/transfers', async () => {
      runs += 1;
      return { id: 'tr_1' };
    });
    const response = await app.inject({
      method: 'POST',
      url: '/transfers',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      payload: { amount: 1 },
    });
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(runs).toBe(0);
  });
});
