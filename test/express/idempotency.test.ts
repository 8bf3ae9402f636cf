import { randomUUID } from 'node:crypto';
import type { Response as ExpressResponse, NextFunction, Request } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler, type IdempotencyOptions, idempotency } from '../../src/express/index.js';
import { ErrorCode, MemoryStore } from '../../src/index.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { closeAll, gate, listen, postJson, rawRequest, tenantApp } from './idempotency-helpers.js';
import { majors } from './serve.js';

const PROBLEM = 'application/problem+json';
const type = (slug: string) => `urn:bulwark:problem:${slug}`;

afterEach(closeAll);

async function expectProblem(response: Response, status: number, slug: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe(PROBLEM);
  const problem = (await response.json()) as { type: string; status: number };
  expect(problem).toMatchObject({ type: type(slug), status });
  return problem;
}

describe.each(majors)('idempotency() on $name', ({ express }) => {
  /** An app with one JSON route that counts its executions and answers 201. */
  async function transfersApp(options: IdempotencyOptions = {}, hold?: Promise<void>) {
    const app = tenantApp(express);
    let executions = 0;
    app.post('/transfers', express.json(), idempotency(options), async (req, res) => {
      executions += 1;
      const id = `t_${executions}`;
      if (hold) await hold;
      res.cookie('session', 'secret');
      res.set('X-Request-Id', randomUUID());
      res.set('X-Not-Allowed', 'nope');
      res.status(201).location(`/transfers/${id}`).json({ id, amount: req.body.amount });
    });
    app.use(errorHandler());
    const running = await listen(app);
    return { ...running, url: `${running.url}/transfers`, executions: () => executions };
  }

  describe('idempotency(): first execution and replay', () => {
    it('runs once and replays status, body bytes and allow-listed headers, marked as replayed', async () => {
      const app = await transfersApp();
      const key = randomUUID();
      const first = await postJson(app.url, key, { amount: 100 });
      const firstBody = await first.text();
      expect(first.status).toBe(201);
      expect(first.headers.get('set-cookie')).toContain('session=secret');
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      const replay = await postJson(app.url, key, { amount: 100 });
      expect(replay.status).toBe(201);
      expect(await replay.text()).toBe(firstBody);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(replay.headers.get('location')).toBe('/transfers/t_1');
      expect(replay.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(replay.headers.get('set-cookie')).toBeNull();
      expect(replay.headers.get('x-request-id')).toBeNull();
      expect(replay.headers.get('x-not-allowed')).toBeNull();
      expect(app.executions()).toBe(1);
    });

    it('replays a retry whose JSON differs only in key order and whitespace', async () => {
      const app = await transfersApp();
      const key = randomUUID();
      await postJson(app.url, key, '{"amount":100,"currency":"EUR"}');
      const retry = await postJson(app.url, key, '{ "currency" : "EUR",\n  "amount" : 100 }');
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(app.executions()).toBe(1);
    });

    it('replays extra headers named in replayHeaders, and refuses unsafe ones at creation', async () => {
      const app = await transfersApp({ replayHeaders: ['content-type', 'x-not-allowed'] });
      const key = randomUUID();
      await postJson(app.url, key, { amount: 1 });
      const replay = await postJson(app.url, key, { amount: 1 });
      expect(replay.headers.get('x-not-allowed')).toBe('nope');
      expect(replay.headers.get('location')).toBeNull();
      for (const unsafe of ['Set-Cookie', 'authorization', 'Date']) {
        expect(() => idempotency({ replayHeaders: [unsafe] })).toThrow(/replayHeaders/);
      }
    });
  });

  describe('idempotency(): the status contract', () => {
    it('400 when the key is missing, and the handler never runs', async () => {
      const app = await transfersApp();
      await expectProblem(
        await postJson(app.url, undefined, { amount: 1 }),
        400,
        'idempotency-key-missing',
      );
      expect(app.executions()).toBe(0);
    });

    it.each([
      ['too long', 'k'.repeat(256)],
      ['a comma', 'a,b'],
      ['an inner quote', 'a"b'],
    ])('400 when the key has %s', async (_, key) => {
      const app = await transfersApp();
      await expectProblem(
        await postJson(app.url, key, { amount: 1 }),
        400,
        'idempotency-key-invalid',
      );
      expect(app.executions()).toBe(0);
    });

    it('accepts a 255-character key', async () => {
      const app = await transfersApp();
      expect((await postJson(app.url, 'k'.repeat(255), { amount: 1 })).status).toBe(201);
    });

    it.each([
      ['two key lines', 'Idempotency-Key: a\r\nIdempotency-Key: a\r\n'],
      ['a space', 'Idempotency-Key: a b\r\n'],
      ['a byte beyond ASCII', 'Idempotency-Key: caf\u00e9\r\n'],
    ])('400 for %s (raw request)', async (_, header) => {
      const app = await transfersApp();
      const { status, text } = await rawRequest(
        app.port,
        `POST /transfers HTTP/1.1\r\nHost: x\r\n${header}`,
      );
      expect(status).toBe(400);
      expect(text).toContain(type('idempotency-key-invalid'));
      expect(app.executions()).toBe(0);
    });

    it('never runs the handler for a key with a control character (Node itself answers 400)', async () => {
      const app = await transfersApp();
      const head = 'POST /transfers HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0001b\r\n';
      expect((await rawRequest(app.port, head)).status).toBe(400);
      expect(app.executions()).toBe(0);
    });

    it('treats "abc" and abc as the same key, and the header name case-insensitively', async () => {
      const app = await transfersApp();
      await postJson(app.url, 'abc', { amount: 1 });
      const retry = await postJson(
        app.url,
        undefined,
        { amount: 1 },
        { 'IDEMPOTENCY-KEY': '"abc"' },
      );
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    });

    it('422 when the key is reused with another body, query or content type; nothing runs', async () => {
      const app = await transfersApp();
      const key = randomUUID();
      await postJson(app.url, key, { amount: 100 });
      await expectProblem(
        await postJson(app.url, key, { amount: 999 }),
        422,
        'idempotency-mismatch',
      );
      await expectProblem(
        await postJson(`${app.url}?dry=1`, key, { amount: 100 }),
        422,
        'idempotency-mismatch',
      );
      const asText = await postJson(app.url, key, '{"amount":100}', {
        'content-type': 'text/plain',
      });
      await expectProblem(asText, 422, 'idempotency-mismatch');
      expect(app.executions()).toBe(1);
    });

    it('409 with Retry-After while the original is in flight', async () => {
      const hold = gate();
      const app = await transfersApp({}, hold.wait);
      const key = randomUUID();
      const original = postJson(app.url, key, { amount: 1 });
      await expect.poll(() => app.executions()).toBe(1);
      const duplicate = await postJson(app.url, key, { amount: 1 });
      await expectProblem(duplicate, 409, 'idempotency-in-flight');
      expect(Number(duplicate.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      hold.open();
      expect((await original).status).toBe(201);
      expect((await postJson(app.url, key, { amount: 1 })).headers.get('idempotent-replayed')).toBe(
        'true',
      );
    });

    it.each(['throw', 'hang'] as const)(
      '503 with Retry-After when the store does %s, and the handler never runs',
      async (fault) => {
        const store = new FaultyStore(new MemoryStore());
        store.faults.claim = fault;
        const app = await transfersApp({ store, storeTimeoutMs: 100, storeRetryAfterMs: 3_000 });
        const response = await postJson(app.url, randomUUID(), { amount: 1 });
        const problem = await expectProblem(response, 503, 'idempotency-store-unavailable');
        expect(response.headers.get('retry-after')).toBe('3');
        expect(app.executions()).toBe(0);
        // The store's own message names internals; the client never sees it.
        expect(JSON.stringify(problem)).not.toMatch(/store claim is down|timed out|claim/);
      },
    );

    it('50 concurrent identical requests: exactly one execution, the rest 409 or a replay, no 5xx', async () => {
      const hold = gate();
      const app = await transfersApp({}, hold.wait);
      const key = randomUUID();
      const pending = Array.from({ length: 50 }, () => postJson(app.url, key, { amount: 5 }));
      await expect.poll(() => app.executions()).toBe(1);
      setTimeout(hold.open, 50);
      const responses = await Promise.all(pending);
      const statuses = responses.map((r) => r.status);
      expect(app.executions()).toBe(1);
      expect(statuses.filter((s) => s === 201)).toHaveLength(
        1 + responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length,
      );
      expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
      expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    });
  });

  describe('idempotency(): persist before respond', () => {
    it('sends nothing until the response is recorded', async () => {
      const events: string[] = [];
      const inner = new MemoryStore();
      const store = new FaultyStore(inner);
      const recorded = gate();
      store.complete = async (request) => {
        await recorded.wait;
        events.push('recorded');
        return inner.complete(request);
      };
      const app = await transfersApp({ store });
      const response = postJson(app.url, randomUUID(), { amount: 1 }).then((r) => {
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

    it('500 outcome-unknown when recording fails after the handler ran; the retry does not run it again', async () => {
      const store = new FaultyStore(new MemoryStore());
      store.faults.complete = 'throw';
      const app = await transfersApp({ store, leaseMs: 60_000 });
      const key = randomUUID();
      const response = await postJson(app.url, key, { amount: 1 });
      await expectProblem(response, 500, 'idempotency-outcome-unknown');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.headers.get('location')).toBeNull();
      await expectProblem(
        await postJson(app.url, key, { amount: 1 }),
        409,
        'idempotency-in-flight',
      );
      expect(app.executions()).toBe(1);
    });

    it('500 lease-lost when another owner took the key over before the record was written', async () => {
      const store = new FaultyStore(new MemoryStore());
      store.faults.complete = 'fenced';
      const app = await transfersApp({ store });
      const response = await postJson(app.url, randomUUID(), { amount: 1 });
      await expectProblem(response, 500, 'idempotency-lease-lost');
      expect(response.headers.get('location')).toBeNull();
    });

    it('records the answer of a client that went away, so its retry replays', async () => {
      const hold = gate();
      const app = await transfersApp({}, hold.wait);
      const key = randomUUID();
      const abort = new AbortController();
      const gone = fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ amount: 1 }),
        signal: abort.signal,
      }).catch((error: unknown) => error);
      await expect.poll(() => app.executions()).toBe(1);
      abort.abort();
      await gone;
      hold.open();
      await expect
        .poll(async () =>
          (await postJson(app.url, key, { amount: 1 })).headers.get('idempotent-replayed'),
        )
        .toBe('true');
      expect(app.executions()).toBe(1);
    });
  });

  describe('idempotency(): what is recorded', () => {
    async function statusApp(options: IdempotencyOptions = {}) {
      const app = express();
      let executions = 0;
      app.post('/status/:code', idempotency(options), (req, res) => {
        executions += 1;
        res.status(Number(req.params.code)).json({ executions });
      });
      app.post('/throw', idempotency(options), () => {
        executions += 1;
        throw new Error('handler failed');
      });
      app.use(errorHandler());
      const running = await listen(app);
      return { ...running, executions: () => executions };
    }

    it.each([200, 201, 400, 404, 422])('records a handler %i and replays it', async (code) => {
      const app = await statusApp();
      const key = randomUUID();
      await fetch(`${app.url}/status/${code}`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
      });
      const retry = await fetch(`${app.url}/status/${code}`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
      });
      expect(retry.status).toBe(code);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(app.executions()).toBe(1);
    });

    it.each([409, 429, 500, 502, 503])(
      'does not record a handler %i: the retry runs again',
      async (code) => {
        const app = await statusApp();
        const key = randomUUID();
        for (let i = 0; i < 2; i += 1) {
          const r = await fetch(`${app.url}/status/${code}`, {
            method: 'POST',
            headers: { 'idempotency-key': key },
          });
          expect(r.status).toBe(code);
          expect(r.headers.get('idempotent-replayed')).toBeNull();
        }
        expect(app.executions()).toBe(2);
      },
    );

    it('releases the key when the handler throws, so the retry runs', async () => {
      const app = await statusApp();
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        const r = await fetch(`${app.url}/throw`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        expect(r.status).toBe(500);
      }
      expect(app.executions()).toBe(2);
    });

    it('records exactly the statuses storeStatus allows', async () => {
      const app = await statusApp({ storeStatus: (status) => status >= 200 && status < 300 });
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        await fetch(`${app.url}/status/400`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
      }
      expect(app.executions()).toBe(2);
    });
  });

  describe('idempotency(): what is never stored', () => {
    it('keeps request headers, cookies and the raw body out of the record', async () => {
      const inner = new MemoryStore();
      const store = new FaultyStore(inner);
      const records: unknown[] = [];
      store.complete = (request) => {
        records.push(request);
        return inner.complete(request);
      };
      const app = await transfersApp({ store });
      await postJson(
        app.url,
        randomUUID(),
        { amount: 7, note: 'raw-body-marker' },
        {
          authorization: 'Bearer token-marker',
          cookie: 'sid=cookie-marker',
        },
      );
      expect(records).toHaveLength(1);
      const text = JSON.stringify(records, (_k, v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString() : v,
      );
      expect(text).not.toContain('token-marker');
      expect(text).not.toContain('cookie-marker');
      expect(text).not.toContain('secret'); // the Set-Cookie the handler sent
      expect(text).not.toContain('raw-body-marker');
      const { headers } = (records[0] as { response: { headers: object } }).response;
      expect(Object.keys(headers).sort()).toEqual(['content-type', 'etag', 'location']);
    });

    it('claims nothing for a body the parser refused, so the corrected retry runs', async () => {
      const app = await transfersApp();
      const key = randomUUID();
      expect((await postJson(app.url, key, '{"amount":')).status).toBe(400);
      expect((await postJson(app.url, key, { amount: 1 })).status).toBe(201);
      expect(app.executions()).toBe(1);
    });
  });

  describe('idempotency(): scope', () => {
    it('keeps tenants apart: the same key runs for each tenant and never reveals the other', async () => {
      const app = await transfersApp();
      const key = randomUUID();
      const a = await postJson(app.url, key, { amount: 1 }, { 'x-tenant': 'tenant-a' });
      const b = await postJson(app.url, key, { amount: 2 }, { 'x-tenant': 'tenant-b' });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(await b.json()).toEqual({ id: 't_2', amount: 2 });
      const replayB = await postJson(app.url, key, { amount: 2 }, { 'x-tenant': 'tenant-b' });
      expect(await replayB.json()).toEqual({ id: 't_2', amount: 2 });
      expect(app.executions()).toBe(2);
    });

    it('keeps principals apart when principal() is given', async () => {
      const app = await transfersApp({ principal: (req) => req.get('x-user') });
      const key = randomUUID();
      await postJson(app.url, key, { amount: 1 }, { 'x-user': 'alice' });
      const bob = await postJson(app.url, key, { amount: 1 }, { 'x-user': 'bob' });
      expect(bob.headers.get('idempotent-replayed')).toBeNull();
      expect(app.executions()).toBe(2);
    });

    it('never replays across endpoints', async () => {
      const app = express();
      const store = new MemoryStore();
      app.use(idempotency({ store }));
      app.post('/a', (_req, res) => res.status(201).send('a'));
      app.post('/b', (_req, res) => res.status(201).send('b'));
      app.post('/items/:id', idempotency({ store }), (req, res) => res.send(req.params.id));
      const { url } = await listen(app);
      const key = randomUUID();
      const post = (path: string) =>
        fetch(`${url}${path}`, { method: 'POST', headers: { 'idempotency-key': key } });
      expect(await (await post('/a')).text()).toBe('a');
      expect(await (await post('/b')).text()).toBe('b');
      expect(await (await post('/items/1')).text()).toBe('1');
      // Mounted on a route, the key is scoped to the template: another id is a mismatch.
      expect((await post('/items/2')).status).toBe(422);
    });

    it('leaves other methods alone and lets keyless requests through when not required', async () => {
      const app = express();
      let runs = 0;
      app.use(idempotency({ required: false }));
      app.all('/x', (_req, res) => {
        runs += 1;
        res.send('ok');
      });
      const { url } = await listen(app);
      expect((await fetch(`${url}/x`)).status).toBe(200);
      expect((await fetch(`${url}/x`, { method: 'POST' })).status).toBe(200);
      expect(
        (await fetch(`${url}/x`, { method: 'DELETE', headers: { 'idempotency-key': 'k' } })).status,
      ).toBe(200);
      expect(
        (await fetch(`${url}/x`, { method: 'DELETE', headers: { 'idempotency-key': 'k' } })).status,
      ).toBe(200);
      expect(runs).toBe(4);
    });
  });

  describe('idempotency(): mistakes caught early', () => {
    it('answers app.use(idempotency) (not called) with an error that says how to fix it', async () => {
      const app = express();
      // The mistake under test: the factory itself, not its result (TypeScript accepts it).
      app.use(idempotency);
      app.post('/x', (_req, res) => res.send('unprotected'));
      let seen: unknown;
      app.use((error: unknown, _req: Request, res: ExpressResponse, _next: NextFunction) => {
        seen = error;
        res.status(500).end();
      });
      const { url } = await listen(app);
      const response = await fetch(`${url}/x`, {
        method: 'POST',
        headers: { 'idempotency-key': 'k' },
      });
      expect(response.status).toBe(500);
      expect(seen).toMatchObject({
        code: ErrorCode.InvalidOptions,
        message: expect.stringContaining('app.use(idempotency())'),
      });
    });

    it.each([
      [{ leaseMs: 0 }, 'leaseMs'],
      [{ methods: [] }, 'methods'],
      [{ headerName: 'bad header' }, 'headerName'],
      [{ maxBodyBytes: -1 }, 'maxBodyBytes'],
      [{ minKeyLength: 300 }, 'minKeyLength'],
      [{ principal: 'user' }, 'principal'],
    ])('refuses %j at creation, naming "%s"', (options, field) => {
      expect(() => idempotency(options as IdempotencyOptions)).toThrow(
        expect.objectContaining({
          code: ErrorCode.InvalidOptions,
          message: expect.stringContaining(`"${field}"`),
        }),
      );
    });
  });
});
