import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bulwark, idempotencyClaim } from '../../src/fastify/index.js';
import type { StoredResponse } from '../../src/idempotency/index.js';
import { PostgresStore, withIdempotentTransaction } from '../../src/postgres/index.js';
import { postJson } from '../express/idempotency-helpers.js';
import { requireService, services } from '../support/services.js';

/*
 * The transactional mode on Fastify: the handler completes the record in its
 * business transaction through idempotencyClaim(reply.raw), and the plugin
 * sends exactly what committed (the handler's answer when it matches, else
 * the committed response), against the real PostgreSQL.
 */

const up = await requireService('postgres');
const suffix = randomBytes(5).toString('hex');
const table = `bulwark_fy_tx_${suffix}`;
const business = `bulwark_fy_biz_${suffix}`;
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 4 });
const store = new PostgresStore({ pool, table });
let app: FastifyInstance | undefined;

beforeAll(async () => {
  if (!up) return;
  await store.migrate();
  await pool.query(`CREATE TABLE ${business} (id text PRIMARY KEY, amount integer NOT NULL)`);
});
afterEach(async () => {
  app?.server.closeAllConnections();
  await app?.close();
  app = undefined;
});
afterAll(async () => {
  if (up) for (const t of [table, business]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
  await pool.end();
});

const json = (status: number, value: unknown): StoredResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(value)),
});

async function start() {
  app = Fastify();
  await app.register(bulwark, { tenant: false, idempotency: { store } });
  let executions = 0;
  app.post('/transfers', async (request, reply) => {
    executions += 1;
    const claim = idempotencyClaim(reply.raw);
    if (claim === undefined) throw new Error('no idempotency claim');
    const amount = (request.body as { amount: number }).amount;
    const behaviour = request.headers['x-behaviour'];
    const stored = await withIdempotentTransaction(store, claim, async (tx) => {
      const id = randomUUID();
      await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, $2)`, [id, amount]);
      if (behaviour === 'steal') {
        await pool.query(`UPDATE ${table} SET owner_token = 'thief' WHERE key = $1`, [claim.key]);
      }
      const response = json(201, { id, amount });
      return { response, result: response };
    });
    if (behaviour === 'differ') return reply.code(200).send({ other: true });
    return reply.code(stored.status).headers(stored.headers).send(Buffer.from(stored.body));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/transfers`, executions: () => executions };
}

describe.skipIf(!up)('bulwark (Fastify plugin) + withIdempotentTransaction on PostgreSQL', () => {
  it('sends and replays exactly what committed', async () => {
    const service = await start();
    const key = randomUUID();
    const first = await postJson(service.url, key, { amount: 250 });
    const body = await first.text();
    expect([first.status, first.headers.get('content-type')]).toEqual([201, 'application/json']);
    const replay = await postJson(service.url, key, { amount: 250 });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(await replay.text()).toBe(body);
    expect(service.executions()).toBe(1);
  });

  it('a handler that answers other bytes than it committed: the committed response is sent', async () => {
    const service = await start();
    const key = randomUUID();
    const first = await postJson(service.url, key, { amount: 9 }, { 'x-behaviour': 'differ' });
    expect(first.status).toBe(201);
    const body = await first.text();
    expect(JSON.parse(body)).toMatchObject({ amount: 9 });
    expect(await (await postJson(service.url, key, { amount: 9 })).text()).toBe(body);
  });

  it('the key taken over mid-transaction: 500 lease-lost + Retry-After, nothing of the handler leaks', async () => {
    const service = await start();
    const answer = await postJson(
      service.url,
      randomUUID(),
      { amount: 5 },
      { 'x-behaviour': 'steal' },
    );
    expect(answer.status).toBe(500);
    expect(answer.headers.get('retry-after')).not.toBeNull();
    expect(await answer.json()).toMatchObject({ code: 'BULWARK_IDEMPOTENCY_LEASE_LOST' });
  });
});
