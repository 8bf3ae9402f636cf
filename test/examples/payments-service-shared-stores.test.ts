import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bank, startBank } from '../../examples/bank-simulator/bank.mjs';
import { type ServiceProcess, startService } from '../../examples/demo/service-process.mjs';
import { requireService, services } from '../support/services.js';
import {
  type Answer,
  bankRecordsOf,
  ensureBuilt,
  OPERATION_ID,
  postTransfer,
  startTcpProxy,
  submitUntilFinal,
  uniqueId,
  validTransfer,
  waitFor,
} from './harness.js';

// Service processes sharing one store, in front of the strict simulated bank
// (a key re-sent with a payment that differs in any field, the transfer id
// included, is refused with 422 and counted). 200 concurrent duplicates spread
// over two processes, and a process killed while the bank holds its payment,
// must each end with one key and one identical payment at the bank per
// logical transfer, nothing refused, and the same 201 for every duplicate.
// Each suite uses its own key prefix / table.

const redisUp = await requireService('redis');
const postgresUp = await requireService('postgres');

const DISTINCT_KEYS = 20;
const COPIES_PER_KEY = 10;

/** Fires every copy of every key at once, alternating between the processes. */
async function duplicatesOverTwoProcesses(bank: Bank, urls: [string, string]) {
  const keys = Array.from({ length: DISTINCT_KEYS }, () => uniqueId('dup-'));
  const calls = keys.flatMap((key, k) =>
    Array.from({ length: COPIES_PER_KEY }, (_, copy) => ({
      key,
      url: urls[(k + copy) % 2] as string,
      call: { tenant: 'shared-tenant', key, body: validTransfer(k) },
    })),
  );
  const answers = await Promise.all(
    calls.map(async ({ key, url, call }) => ({ key, answer: await submitUntilFinal(url, call) })),
  );
  const byKey = new Map<string, Answer[]>();
  for (const { key, answer } of answers) byKey.set(key, [...(byKey.get(key) ?? []), answer]);
  return { byKey, stats: bank.stats() };
}

function expectOnePaymentPerTransfer(
  result: Awaited<ReturnType<typeof duplicatesOverTwoProcesses>>,
) {
  const { byKey, stats } = result;
  expect(stats.refused).toBe(0);
  expect(stats.executions).toBe(DISTINCT_KEYS);
  // One bank key per logical transfer, however many executions each one took.
  expect(Object.keys(stats.keys)).toHaveLength(DISTINCT_KEYS);
  expect(byKey.size).toBe(DISTINCT_KEYS);
  for (const answers of byKey.values()) {
    expect(answers.map((a) => a.status)).toEqual(Array(COPIES_PER_KEY).fill(201));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    const { id, bankReference } = answers[0]?.json ?? {};
    expect(id).toMatch(OPERATION_ID);
    const records = bankRecordsOf(stats, id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ executions: 1, refused: 0, bankReference });
  }
}

async function startPair(env: Record<string, string>): Promise<[ServiceProcess, ServiceProcess]> {
  return Promise.all([startService(env), startService(env)]);
}

const sharedStores: Array<{
  name: string;
  up: boolean;
  env: Record<string, string>;
  drop: (prefix: string) => Promise<void>;
}> = [
  {
    name: 'Redis',
    up: redisUp,
    env: { IDEMPOTENCY_STORE: 'redis', REDIS_URL: services.redis.url },
    drop: dropRedisPrefix,
  },
  {
    name: 'PostgreSQL',
    up: postgresUp,
    env: { IDEMPOTENCY_STORE: 'postgres', DATABASE_URL: services.postgres.url },
    drop: dropPostgresTable,
  },
];

for (const store of sharedStores) {
  describe.skipIf(!store.up)(`two processes sharing ${store.name}`, () => {
    const prefix = uniqueId('t');
    let bank: Bank;
    let pair: ServiceProcess[] = [];

    beforeAll(async () => {
      ensureBuilt();
      bank = await startBank();
      pair = await startPair({ BANK_URL: bank.url, IDEMPOTENCY_PREFIX: prefix, ...store.env });
    }, 120_000);

    afterAll(async () => {
      await Promise.all(pair.map((s) => s.stop()));
      await bank?.close();
      await store.drop(prefix);
    });

    it('200 concurrent duplicates: one key and one identical payment per transfer at the bank, nothing refused, the same 201 for every duplicate', async () => {
      const [a, b] = pair as [ServiceProcess, ServiceProcess];
      expectOnePaymentPerTransfer(await duplicatesOverTwoProcesses(bank, [a.url, b.url]));
    }, 60_000);
  });

  describe.skipIf(!store.up)(`a process killed mid-payment (${store.name})`, () => {
    const prefix = uniqueId('t');
    let bank: Bank;
    let pair: ServiceProcess[] = [];

    beforeAll(async () => {
      ensureBuilt();
      bank = await startBank();
      pair = await startPair({
        BANK_URL: bank.url,
        IDEMPOTENCY_PREFIX: prefix,
        IDEMPOTENCY_LEASE_MS: '3000',
        ...store.env,
      });
    }, 120_000);

    afterAll(async () => {
      await Promise.all(pair.map((s) => s.stop()));
      await bank?.close();
      await store.drop(prefix);
    });

    it('the retry on the other process, after the lease, gets 201 with the original transfer id; the bank executed once and refused nothing', async () => {
      const [doomed, survivor] = pair as [ServiceProcess, ServiceProcess];
      const call = { tenant: 'acme', key: uniqueId('k-'), body: validTransfer(9) };
      // The bank executes the payment, then holds its answer: the process dies
      // after the money moved and before it recorded the outcome.
      bank.control({ mode: 'slow', count: 1, delayMs: 10_000 });
      const lost = postTransfer(doomed.url, call).catch(() => undefined);
      await waitFor(() => bank.stats().executions === 1);
      const [sent] = Object.values(bank.stats().keys);
      await doomed.kill();
      await lost;

      // The dead process's lease still holds the key.
      const during = await postTransfer(survivor.url, call);
      expect(during.status).toBe(409);
      const answer = await submitUntilFinal(survivor.url, call);
      expect(answer.status, answer.text).toBe(201);
      expect(answer.json?.id).toMatch(OPERATION_ID);
      expect(answer.json?.id).toBe(sent?.transferId);

      const stats = bank.stats();
      expect(stats.executions).toBe(1);
      expect(stats.refused).toBe(0);
      expect(Object.keys(stats.keys)).toHaveLength(1);
      const [atBank] = Object.values(stats.keys);
      // Sent by the killed process, re-sent identically by the survivor.
      expect(atBank).toMatchObject({ hits: 2, executions: 1, refused: 0 });
      expect(answer.json?.bankReference).toBe(atBank?.bankReference);

      const later = await postTransfer(survivor.url, call);
      expect(later.status).toBe(201);
      expect(later.headers.get('idempotent-replayed')).toBe('true');
      expect(later.text).toBe(answer.text);
    }, 60_000);
  });
}

/** Removes the Redis keys one suite's service processes wrote under `prefix`. */
async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(services.redis.url);
  const keys = await redis.keys(`payments:idempotency:${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

/** Drops the idempotency table one suite's service processes created for `prefix`. */
async function dropPostgresTable(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: services.postgres.url });
  await client.connect();
  await client.query(`DROP TABLE IF EXISTS payments_idempotency_${prefix}`);
  await client.end();
}

describe.skipIf(!redisUp)('when the store is down', () => {
  const prefix = uniqueId('t');
  let bank: Bank;
  let service: ServiceProcess;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;

  beforeAll(async () => {
    ensureBuilt();
    bank = await startBank();
    proxy = await startTcpProxy(services.redis.port);
    service = await startService({
      BANK_URL: bank.url,
      IDEMPOTENCY_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      IDEMPOTENCY_PREFIX: prefix,
    });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await bank?.close();
    await proxy?.cut();
    await dropRedisPrefix(prefix);
  });

  it('answers 503 with Retry-After and never calls the bank; works again once it is back', async () => {
    expect((await postTransfer(service.url, { tenant: 'acme', key: uniqueId('k-') })).status).toBe(
      201,
    );
    await proxy.cut();
    const hits = bank.stats().hits;
    const down = await postTransfer(service.url, { tenant: 'acme', key: uniqueId('k-') });
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(bank.stats().hits).toBe(hits);

    await proxy.restore();
    const call = { tenant: 'acme', key: uniqueId('k-') };
    let status = 0;
    for (const deadline = Date.now() + 20_000; status !== 201 && Date.now() < deadline; ) {
      status = (await postTransfer(service.url, call)).status;
      if (status !== 201) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(201);
  }, 60_000);
});
