import { randomUUID } from 'node:crypto';
import type { Response as ExpressResponse, NextFunction, Request } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  errorHandler,
  type IdempotencyOptions,
  idempotency,
  idempotencyClaim,
} from '../../src/express/index.js';
import { ErrorCode, MemoryStore } from '../../src/index.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { closeAll, gate, listen, postJson, tenantApp } from './idempotency-helpers.js';
import { majors } from './serve.js';

/*
 * What the contract suite (test/contract/idempotency.contract.test.ts, on
 * Express 5, Express 4 and Fastify 5) does not assert: Express's own mounts
 * and body parser, the record's contents, principals, a departed client, and
 * the factory's validation.
 */

afterEach(closeAll);

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

  it('refuses unsafe replayHeaders at creation', () => {
    for (const unsafe of ['Set-Cookie', 'authorization', 'Date']) {
      expect(() => idempotency({ replayHeaders: [unsafe] })).toThrow(/replayHeaders/);
    }
  });

  describe('idempotency(): persist before respond', () => {
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

  it('hands the claim to the handler before and after an await, and not once it has answered', async () => {
    const seen: Record<string, string | undefined> = {};
    const app = tenantApp(express);
    app.post('/transfers', express.json(), idempotency(), async (_req, res) => {
      seen.before = idempotencyClaim(res)?.key;
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.after = idempotencyClaim(res)?.key;
      res.status(201).json({ ok: true });
      seen.answered = idempotencyClaim(res)?.key;
      await new Promise((resolve) => setImmediate(resolve));
      seen.later = idempotencyClaim(res)?.key;
    });
    app.use(errorHandler());
    const { url } = await listen(app);
    expect((await postJson(`${url}/transfers`, randomUUID(), { amount: 1 })).status).toBe(201);
    await expect.poll(() => 'later' in seen).toBe(true);
    expect(seen.before).toEqual(expect.any(String));
    expect(seen.after).toBe(seen.before);
    expect(seen.answered).toBeUndefined();
    expect(seen.later).toBeUndefined();
  });

  it('hands the claim to a handler that answers at once, and not after', async () => {
    const seen: Record<string, string | undefined> = {};
    const app = tenantApp(express);
    app.post('/transfers', express.json(), idempotency(), (_req, res) => {
      seen.before = idempotencyClaim(res)?.key;
      res.status(201).json({ ok: true });
      seen.answered = idempotencyClaim(res)?.key;
    });
    app.use(errorHandler());
    const { url } = await listen(app);
    expect((await postJson(`${url}/transfers`, randomUUID(), { amount: 1 })).status).toBe(201);
    expect(seen.before).toEqual(expect.any(String));
    expect(seen.answered).toBeUndefined();
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
