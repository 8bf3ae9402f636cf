import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { getOperation, MemoryStore } from '../../src/index.js';
import { gate, postJson, rawRequest } from '../express/idempotency-helpers.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import {
  type AppSpec,
  adapters,
  closeApps,
  type HandlerReply,
  type RouteSpec,
} from './adapters.js';

/*
 * The idempotency contract, the same on every framework: the README's table of
 * answers (400, 409 + Retry-After, 413, 422, 503 store unavailable, 500 outcome
 * unknown, replay with Idempotent-Replayed and the allow-listed headers, byte
 * for byte), what is recorded, and getOperation() inside the handler.
 */

afterEach(closeApps);

const PROBLEM = 'application/problem+json';

async function expectProblem(response: Response, status: number, slug: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe(PROBLEM);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `urn:bulwark:problem:${slug}`, status });
  return body;
}

describe.each(adapters)('idempotency contract on $name', (adapter) => {
  /** An app with POST /transfers (counting executions) and any extra routes. */
  async function start(
    options: {
      store?: FaultyStore | MemoryStore;
      hold?: Promise<void>;
      extra?: RouteSpec[];
    } & Omit<NonNullable<Exclude<AppSpec['idempotency'], false>>, 'store'> = {},
  ) {
    const { hold, extra = [], ...idempotency } = options;
    let executions = 0;
    const operations: (string | undefined)[] = [];
    const claims: (string | undefined)[] = [];
    const app = await adapter.makeApp({
      tenant: { required: false },
      idempotency,
      routes: [
        {
          method: 'POST',
          path: '/transfers',
          handler: async ({ body, claimOperationId }) => {
            executions += 1;
            operations.push(getOperation()?.id);
            claims.push(claimOperationId);
            if (hold) await hold;
            const id = `t_${executions}`;
            return {
              status: 201,
              headers: {
                location: `/transfers/${id}`,
                'set-cookie': 'session=secret',
                'x-request-id': randomUUID(),
                'x-not-allowed': 'nope',
              },
              json: { id, amount: (body as { amount?: number }).amount },
            };
          },
        },
        ...extra,
      ],
    });
    return {
      ...app,
      transfers: `${app.url}/transfers`,
      executions: () => executions,
      operations,
      claims,
    };
  }

  it('runs once, replays status, body bytes and allow-listed headers, marked as replayed', async () => {
    const app = await start();
    const key = randomUUID();
    const first = await postJson(app.transfers, key, { amount: 100 });
    const firstBytes = Buffer.from(await first.arrayBuffer());
    expect(first.status).toBe(201);
    expect(first.headers.get('set-cookie')).toContain('session=secret');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const replay = await postJson(app.transfers, key, { amount: 100 });
    expect(replay.status).toBe(201);
    expect(Buffer.from(await replay.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(replay.headers.get('location')).toBe('/transfers/t_1');
    expect(replay.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(replay.headers.get('set-cookie')).toBeNull();
    expect(replay.headers.get('x-request-id')).toBeNull();
    expect(replay.headers.get('x-not-allowed')).toBeNull();
    expect(app.executions()).toBe(1);
  });

  it('replays extra headers named in replayHeaders (and only those)', async () => {
    const app = await start({ replayHeaders: ['content-type', 'x-not-allowed'] });
    const key = randomUUID();
    await postJson(app.transfers, key, { amount: 1 });
    const replay = await postJson(app.transfers, key, { amount: 1 });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('x-not-allowed')).toBe('nope');
    expect(replay.headers.get('location')).toBeNull();
  });

  it('replays a retry whose JSON differs only in key order and whitespace', async () => {
    const app = await start();
    const key = randomUUID();
    await postJson(app.transfers, key, '{"amount":100,"currency":"EUR"}');
    const retry = await postJson(app.transfers, key, '{ "currency" : "EUR",\n "amount" : 100 }');
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(app.executions()).toBe(1);
  });

  it('400 for a missing key and for a malformed one; the handler never runs', async () => {
    const app = await start();
    await expectProblem(
      await postJson(app.transfers, undefined, {}),
      400,
      'idempotency-key-missing',
    );
    await expectProblem(await postJson(app.transfers, 'a,b', {}), 400, 'idempotency-key-invalid');
    await expectProblem(
      await postJson(app.transfers, 'k'.repeat(256), {}),
      400,
      'idempotency-key-invalid',
    );
    await expectProblem(await postJson(app.transfers, 'a"b', {}), 400, 'idempotency-key-invalid');
    expect(app.executions()).toBe(0);
    expect((await postJson(app.transfers, 'k'.repeat(255), { amount: 1 })).status).toBe(201);
  });

  it.each([
    ['two key lines', 'Idempotency-Key: a\r\nIdempotency-Key: a\r\n'],
    ['a space', 'Idempotency-Key: a b\r\n'],
    ['a byte beyond ASCII', 'Idempotency-Key: caf\u00e9\r\n'],
  ])('400 for %s (raw request); the handler never runs', async (_, header) => {
    const app = await start();
    const head = `POST /transfers HTTP/1.1\r\nHost: x\r\n${header}`;
    const { status, text } = await rawRequest(app.port, head);
    expect(status).toBe(400);
    expect(text).toContain('urn:bulwark:problem:idempotency-key-invalid');
    expect(app.executions()).toBe(0);
  });

  it('never runs the handler for a key with a control character (Node itself answers 400)', async () => {
    const app = await start();
    const head = 'POST /transfers HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0001b\r\n';
    expect((await rawRequest(app.port, head)).status).toBe(400);
    expect(app.executions()).toBe(0);
  });

  it('treats "abc" and abc as the same key, and the header name case-insensitively', async () => {
    const app = await start();
    await postJson(app.transfers, 'abc', { amount: 1 });
    const retry = await postJson(
      app.transfers,
      undefined,
      { amount: 1 },
      { 'IDEMPOTENCY-KEY': '"abc"' },
    );
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(app.executions()).toBe(1);
  });

  it('413 for a body over maxBodyBytes; the handler never runs', async () => {
    const app = await start({ maxBodyBytes: 64 });
    const body = { amount: 1, note: 'x'.repeat(200) };
    await expectProblem(
      await postJson(app.transfers, randomUUID(), body),
      413,
      'payload-too-large',
    );
    expect(app.executions()).toBe(0);
  });

  it('422 when the key is reused with another body, query or content type; nothing runs again', async () => {
    const app = await start();
    const key = randomUUID();
    await postJson(app.transfers, key, { amount: 100 });
    await expectProblem(
      await postJson(app.transfers, key, { amount: 999 }),
      422,
      'idempotency-mismatch',
    );
    await expectProblem(
      await postJson(`${app.transfers}?dry=1`, key, { amount: 100 }),
      422,
      'idempotency-mismatch',
    );
    await expectProblem(
      await postJson(app.transfers, key, '{"amount":100}', { 'content-type': 'text/plain' }),
      422,
      'idempotency-mismatch',
    );
    expect(app.executions()).toBe(1);
  });

  it('409 with Retry-After while the original is in flight, then the replay', async () => {
    const hold = gate();
    const app = await start({ hold: hold.wait });
    const key = randomUUID();
    const original = postJson(app.transfers, key, { amount: 1 });
    await expect.poll(() => app.executions()).toBe(1);
    const duplicate = await postJson(app.transfers, key, { amount: 1 });
    await expectProblem(duplicate, 409, 'idempotency-in-flight');
    expect(Number(duplicate.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    hold.open();
    expect((await original).status).toBe(201);
    const replay = await postJson(app.transfers, key, { amount: 1 });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it.each(['throw', 'hang'] as const)(
    '503 + Retry-After when the store does %s; the handler never runs',
    async (fault) => {
      const store = new FaultyStore(new MemoryStore());
      store.faults.claim = fault;
      const app = await start({ store, storeTimeoutMs: 100, storeRetryAfterMs: 3_000 });
      const response = await postJson(app.transfers, randomUUID(), { amount: 1 });
      const problem = await expectProblem(response, 503, 'idempotency-store-unavailable');
      expect(response.headers.get('retry-after')).toBe('3');
      expect(JSON.stringify(problem)).not.toMatch(/claim|timed out/);
      expect(app.executions()).toBe(0);
    },
  );

  it('500 outcome-unknown + Retry-After when recording fails; the retry gets 409, never a second run', async () => {
    const store = new FaultyStore(new MemoryStore());
    store.faults.complete = 'throw';
    const app = await start({ store, leaseMs: 60_000 });
    const key = randomUUID();
    const response = await postJson(app.transfers, key, { amount: 1 });
    await expectProblem(response, 500, 'idempotency-outcome-unknown');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.headers.get('location')).toBeNull();
    expect(response.headers.get('set-cookie')).toBeNull();
    await expectProblem(
      await postJson(app.transfers, key, { amount: 1 }),
      409,
      'idempotency-in-flight',
    );
    expect(app.executions()).toBe(1);
  });

  it('500 lease-lost when another owner took the key over before the record was written', async () => {
    const store = new FaultyStore(new MemoryStore());
    store.faults.complete = 'fenced';
    const app = await start({ store });
    const response = await postJson(app.transfers, randomUUID(), { amount: 1 });
    await expectProblem(response, 500, 'idempotency-lease-lost');
    expect(response.headers.get('location')).toBeNull();
  });

  it('sends nothing until the response is recorded', async () => {
    const inner = new MemoryStore();
    const store = new FaultyStore(inner);
    const recorded = gate();
    const events: string[] = [];
    store.complete = async (request) => {
      await recorded.wait;
      events.push('recorded');
      return inner.complete(request);
    };
    const app = await start({ store });
    const response = postJson(app.transfers, randomUUID(), { amount: 1 }).then((r) => {
      events.push('response');
      return r;
    });
    await expect.poll(() => app.executions()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual([]);
    recorded.open();
    expect((await response).status).toBe(201);
    expect(events).toEqual(['recorded', 'response']);
  });

  it('50 concurrent duplicates: one execution, the rest 409 or the replay', async () => {
    const hold = gate();
    const app = await start({ hold: hold.wait });
    const key = randomUUID();
    const pending = Array.from({ length: 50 }, () => postJson(app.transfers, key, { amount: 5 }));
    await expect.poll(() => app.executions()).toBe(1);
    setTimeout(hold.open, 50);
    const responses = await Promise.all(pending);
    const statuses = responses.map((r) => r.status);
    expect(app.executions()).toBe(1);
    const replays = responses.filter((r) => r.headers.get('idempotent-replayed') === 'true');
    expect(statuses.filter((s) => s === 201)).toHaveLength(1 + replays.length);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
  });

  it('getOperation() in the handler: one id per key, the claim carries it, another key another id', async () => {
    const app = await start();
    const key = randomUUID();
    await postJson(app.transfers, key, { amount: 1 });
    await postJson(app.transfers, randomUUID(), { amount: 1 });
    expect(app.operations[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8/);
    expect(app.claims).toEqual(app.operations);
    expect(app.operations[1]).not.toBe(app.operations[0]);
  });

  describe('what is recorded', () => {
    let ran = 0;
    const status: RouteSpec = {
      method: 'POST',
      path: '/status/:code',
      handler: ({ params }) => {
        ran += 1;
        return { status: Number(params.code), json: { code: params.code } };
      },
    };
    let thrown = 0;
    const throwing: RouteSpec = {
      method: 'POST',
      path: '/throw',
      handler: () => {
        thrown += 1;
        throw Object.assign(new Error('declined'), { statusCode: 402, status: 402 });
      },
    };
    const send = (url: string, key: string) =>
      fetch(url, { method: 'POST', headers: { 'idempotency-key': key } });

    it.each([200, 201, 400, 404, 422])('a handler %i is recorded and replayed', async (code) => {
      const app = await start({ extra: [status] });
      const key = randomUUID();
      ran = 0;
      await send(`${app.url}/status/${code}`, key);
      const retry = await send(`${app.url}/status/${code}`, key);
      expect([retry.status, retry.headers.get('idempotent-replayed')]).toEqual([code, 'true']);
      expect(ran).toBe(1);
    });

    it.each([409, 429, 500, 502, 503])(
      'a handler %i is not recorded: the retry runs again',
      async (code) => {
        const app = await start({ extra: [status] });
        const key = randomUUID();
        ran = 0;
        for (let i = 0; i < 2; i += 1) {
          const r = await send(`${app.url}/status/${code}`, key);
          expect([r.status, r.headers.get('idempotent-replayed')]).toEqual([code, null]);
        }
        expect(ran).toBe(2);
      },
    );

    it('records exactly the statuses storeStatus allows', async () => {
      const app = await start({
        extra: [status],
        storeStatus: (code) => code >= 200 && code < 300,
      });
      const key = randomUUID();
      ran = 0;
      for (let i = 0; i < 2; i += 1) {
        const r = await send(`${app.url}/status/400`, key);
        expect([r.status, r.headers.get('idempotent-replayed')]).toEqual([400, null]);
      }
      expect(ran).toBe(2);
    });

    it('a thrown handler error releases the key, whatever status answers it', async () => {
      const app = await start({ extra: [throwing] });
      const key = randomUUID();
      thrown = 0;
      for (let i = 0; i < 2; i += 1) {
        const r = await send(`${app.url}/throw`, key);
        expect(r.headers.get('content-type')).toBe(PROBLEM);
      }
      expect(thrown).toBe(2);
    });
  });

  describe('replies of every kind', () => {
    const kinds: Record<string, HandlerReply> = {
      'an object (JSON)': { status: 201, json: { ok: true, n: 1 } },
      'a string': {
        status: 202,
        text: '<p>accepted</p>',
        headers: { 'content-type': 'text/html' },
      },
      'a buffer': { status: 200, bytes: Buffer.from([0, 255, 1, 254]) },
      'an empty 204': { status: 204 },
    };

    it.each(Object.keys(kinds))('%s: recorded and replayed byte for byte', async (kind) => {
      let runs = 0;
      const app = await start({
        extra: [
          {
            method: 'POST',
            path: '/kind',
            handler: () => {
              runs += 1;
              return kinds[kind] as HandlerReply;
            },
          },
        ],
      });
      const key = randomUUID();
      const send = () =>
        fetch(`${app.url}/kind`, { method: 'POST', headers: { 'idempotency-key': key } });
      const first = await send();
      const firstBytes = Buffer.from(await first.arrayBuffer());
      const replay = await send();
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.status).toBe(first.status);
      expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(Buffer.from(await replay.arrayBuffer()).equals(firstBytes)).toBe(true);
      expect(runs).toBe(1);
    });

    it('an event stream is passed through, never recorded: the key is released', async () => {
      let runs = 0;
      const app = await start({
        extra: [
          {
            method: 'POST',
            path: '/stream',
            handler: () => {
              runs += 1;
              return {
                status: 200,
                headers: { 'content-type': 'text/event-stream' },
                stream: () => Readable.from(['data: one\n\n', 'data: two\n\n']),
              };
            },
          },
        ],
      });
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        const r = await fetch(`${app.url}/stream`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        expect(await r.text()).toBe('data: one\n\ndata: two\n\n');
        expect(r.headers.get('idempotent-replayed')).toBeNull();
      }
      await expect.poll(() => runs).toBe(2);
    });

    it('an answer over maxResponseBytes is sent in full, never recorded', async () => {
      let runs = 0;
      const big = 'x'.repeat(5_000);
      const app = await start({
        maxResponseBytes: 1_000,
        extra: [
          {
            method: 'POST',
            path: '/big',
            handler: () => {
              runs += 1;
              return { text: big };
            },
          },
        ],
      });
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        const r = await fetch(`${app.url}/big`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        expect(await r.text()).toBe(big);
      }
      expect(runs).toBe(2);
    });
  });

  describe('scope and opt-outs', () => {
    it('keys are scoped per tenant and per route template', async () => {
      let runs = 0;
      const app = await adapter.makeApp({
        tenant: { required: false },
        routes: [
          {
            method: 'POST',
            path: '/items/:id',
            handler: ({ params }) => {
              runs += 1;
              return { status: 201, json: { id: params.id, run: runs } };
            },
          },
        ],
      });
      const key = randomUUID();
      const post = (path: string, tenantId?: string) =>
        fetch(`${app.url}${path}`, {
          method: 'POST',
          headers: { 'idempotency-key': key, ...(tenantId ? { 'x-tenant-id': tenantId } : {}) },
        });
      expect((await post('/items/1', 'acme')).status).toBe(201);
      expect((await post('/items/1', 'globex')).headers.get('idempotent-replayed')).toBeNull();
      expect((await post('/items/2', 'acme')).status).toBe(422); // the template is the scope
      expect(runs).toBe(2);
    });

    it('a route opts out: no key needed, every request runs', async () => {
      let runs = 0;
      const app = await start({
        extra: [
          {
            method: 'POST',
            path: '/free',
            idempotency: false,
            handler: () => {
              runs += 1;
              return { text: 'ok' };
            },
          },
        ],
      });
      for (let i = 0; i < 2; i += 1) {
        expect((await fetch(`${app.url}/free`, { method: 'POST' })).status).toBe(200);
      }
      expect(runs).toBe(2);
    });

    it('other methods pass untouched; keyless requests pass when not required', async () => {
      let runs = 0;
      const handler = () => {
        runs += 1;
        return { text: 'ok' };
      };
      const app = await adapter.makeApp({
        tenant: { required: false },
        idempotency: { required: false },
        routes: [
          { method: 'GET', path: '/x', handler },
          { method: 'POST', path: '/x', handler },
        ],
      });
      expect((await fetch(`${app.url}/x`)).status).toBe(200);
      expect((await fetch(`${app.url}/x`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${app.url}/x`, { method: 'POST' })).status).toBe(200);
      expect(runs).toBe(3);
    });
  });
});
