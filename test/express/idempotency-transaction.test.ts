import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, idempotency, idempotencyClaim } from '../../src/express/index.js';
import { idempotencyStorageKey, type StoredResponse } from '../../src/idempotency/index.js';
import { PostgresStore, withIdempotentTransaction } from '../../src/postgres/index.js';
import { requireService, services } from '../support/services.js';
import { closeAll, listen, postJson } from './idempotency-helpers.js';
import type { ExpressModule } from './serve.js';
import { majors } from './serve.js';

/*
 * idempotency() over PostgresStore with the record completed inside the
 * handler's own business transaction (withIdempotentTransaction), against the
 * real PostgreSQL: what commits is what is sent, and what is replayed.
 */

const up = await requireService('postgres');
const suffix = randomBytes(5).toString('hex');
const table = `bulwark_idem_tx_${suffix}`;
const business = `bulwark_biz_tx_${suffix}`;
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 6 });
const store = new PostgresStore({ pool, table });

beforeAll(async () => {
  if (!up) return;
  await store.migrate();
  await pool.query(
    `CREATE TABLE ${business} (id text PRIMARY KEY, client_key text NOT NULL, amount integer NOT NULL)`,
  );
});

afterEach(closeAll);

afterAll(async () => {
  if (up) for (const t of [table, business]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
  await pool.end();
});

const jsonResponse = (status: number, value: unknown): StoredResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(value)),
});

/**
 * One route: inserts a transfer and completes the record in one transaction.
 * `X-Behaviour` picks a failure: `throw` after the insert, `steal` (another
 * owner takes the key over mid-transaction), `crash` (commit, then the socket
 * dies before any answer), `differ` (answer something other than what committed).
 */
async function transactionalApp(express: ExpressModule) {
  const app = express();
  let executions = 0;
  // Errors go to next() explicitly: Express 4 never sees a rejected promise.
  app.post('/transfers', express.json(), idempotency({ store }), async (req, res, next) => {
    try {
      executions += 1;
      const claim = idempotencyClaim(res);
      if (claim === undefined) throw new Error('no idempotency claim');
      const behaviour = req.get('x-behaviour');
      const stored = await withIdempotentTransaction(store, claim, async (tx) => {
        const id = randomUUID();
        const values = [id, req.get('idempotency-key'), req.body.amount];
        await tx.query(
          `INSERT INTO ${business} (id, client_key, amount) VALUES ($1, $2, $3)`,
          values,
        );
        if (behaviour === 'throw') throw new Error('declined after the insert');
        if (behaviour === 'steal') {
          await pool.query(`UPDATE ${table} SET owner_token = 'thief' WHERE key = $1`, [claim.key]);
        }
        const response = jsonResponse(201, { id, amount: req.body.amount });
        return { response, result: response };
      });
      if (behaviour === 'crash') return void req.socket.destroy();
      if (behaviour === 'differ') return void res.status(200).json({ other: true });
      res.status(stored.status).set(stored.headers).end(stored.body);
    } catch (error) {
      next(error);
    }
  });
  app.get('/claim', (_req, res) => {
    res.json({ claim: idempotencyClaim(res) ?? null });
  });
  app.use(errorHandler());
  const running = await listen(app);
  return { ...running, url: `${running.url}/transfers`, executions: () => executions };
}

async function businessRows(clientKey: string): Promise<number> {
  const { rows } = await pool.query(
    `SELECT count(*)::int AS n FROM ${business} WHERE client_key = $1`,
    [clientKey],
  );
  return (rows[0] as { n: number }).n;
}

async function recordRow(clientKey: string) {
  const key = idempotencyStorageKey({ method: 'POST', route: '/transfers', clientKey });
  const { rows } = await pool.query(`SELECT state, owner_token FROM ${table} WHERE key = $1`, [
    key,
  ]);
  return rows[0] as { state: string; owner_token: string | null } | undefined;
}

describe.skipIf(!up).each(majors)(
  'idempotency() on $name + withIdempotentTransaction on PostgreSQL',
  ({ express }) => {
    it('commits the business row and the record together; sends and replays exactly what committed', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const first = await postJson(app.url, key, { amount: 250 });
      const firstBody = await first.text();
      expect(first.status).toBe(201);
      expect(first.headers.get('content-type')).toBe('application/json');
      expect(JSON.parse(firstBody)).toMatchObject({ amount: 250 });
      expect(await recordRow(key)).toEqual({ state: 'completed', owner_token: null });

      const replay = await postJson(app.url, key, { amount: 250 });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.headers.get('content-type')).toBe('application/json');
      expect(await replay.text()).toBe(firstBody);
      expect(app.executions()).toBe(1);
      expect(await businessRows(key)).toBe(1);
    });

    it('a handler that answers other bytes than it committed: the committed response is sent', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const first = await postJson(app.url, key, { amount: 9 }, { 'x-behaviour': 'differ' });
      expect(first.status).toBe(201);
      const firstBody = await first.text();
      expect(JSON.parse(firstBody)).toMatchObject({ amount: 9 });
      const replay = await postJson(app.url, key, { amount: 9 });
      expect(await replay.text()).toBe(firstBody);
      expect(app.executions()).toBe(1);
    });

    it('the transaction rolls back: no business row, no record, and the retry executes', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const failed = await postJson(app.url, key, { amount: 40 }, { 'x-behaviour': 'throw' });
      expect(failed.status).toBe(500);
      expect(await businessRows(key)).toBe(0);
      expect(await recordRow(key)).toBeUndefined();

      const retry = await postJson(app.url, key, { amount: 40 });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      expect(app.executions()).toBe(2);
      expect(await businessRows(key)).toBe(1);
    });

    it('committed, then the process dies before answering: the retry replays, one business row', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const lost = await postJson(app.url, key, { amount: 75 }, { 'x-behaviour': 'crash' }).then(
        () => 'answered',
        () => 'socket destroyed',
      );
      expect(lost).toBe('socket destroyed');

      const retry = await postJson(app.url, key, { amount: 75 });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await retry.json()).toMatchObject({ amount: 75 });
      expect(app.executions()).toBe(1);
      expect(await businessRows(key)).toBe(1);
    });

    it('the key taken over mid-transaction: the fence fails, the business row rolls back', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const answer = await postJson(app.url, key, { amount: 5 }, { 'x-behaviour': 'steal' });
      expect(answer.status).toBe(500);
      expect(answer.headers.get('retry-after')).not.toBeNull();
      expect(await answer.json()).toMatchObject({ code: 'BULWARK_IDEMPOTENCY_LEASE_LOST' });
      expect(await businessRows(key)).toBe(0);
      // The new owner's record is untouched: still in flight under its token.
      expect(await recordRow(key)).toEqual({ state: 'in_flight', owner_token: 'thief' });
      expect((await postJson(app.url, key, { amount: 5 })).status).toBe(409);
    });

    it('20 concurrent duplicates: one execution, one business row, every 201 the same bytes', async () => {
      const app = await transactionalApp(express);
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          postJson(app.url, key, { amount: 12 }).then(async (r) => ({
            status: r.status,
            body: await r.text(),
          })),
        ),
      );
      expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
      const bodies = new Set(answers.filter((a) => a.status === 201).map((a) => a.body));
      expect(bodies.size).toBe(1);
      expect(app.executions()).toBe(1);
      expect(await businessRows(key)).toBe(1);
      const replay = await postJson(app.url, key, { amount: 12 });
      expect(bodies.has(await replay.text())).toBe(true);
    });

    it('idempotencyClaim() is undefined where idempotency() does not handle the request', async () => {
      const app = await transactionalApp(express);
      const answer = await fetch(app.url.replace('/transfers', '/claim'));
      expect(await answer.json()).toEqual({ claim: null });
    });
  },
);
