import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../../src/idempotency/store.js';
import { isBulwarkError } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { describeStoreContract, sampleResponse } from '../idempotency/store-contract.js';
import { requireService, services } from '../support/services.js';
import { type OwnRedis, startOwnRedis } from './own-redis.js';

const up = await requireService('redis');
const prefix = `bulwark-test:${randomBytes(6).toString('hex')}:`;
const { host, port } = services.redis;

// Fail-fast settings: a store call must reject, not wait for a reconnect.
function ioredis(p: number = port) {
  return new Redis({
    host,
    port: p,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    connectTimeout: 2_000,
    retryStrategy: () => 100,
    lazyConnect: true,
  });
}

function nodeRedis(p: number = port) {
  const client = createClient({
    url: `redis://${host}:${p}`,
    disableOfflineQueue: true,
    commandOptions: { timeout: 2_000 },
    socket: { connectTimeout: 2_000, reconnectStrategy: () => 100 },
  });
  client.on('error', () => undefined); // reported through the rejected commands instead
  return client;
}

const io = ioredis();
const nr = nodeRedis();

beforeAll(async () => {
  if (!up) return;
  await io.connect();
  await nr.connect();
});

afterAll(async () => {
  if (!up) return;
  // Every test record has a TTL; delete this suite's keys anyway.
  const keys = await io.keys(`${prefix}*`);
  if (keys.length > 0) await io.del(...keys);
  io.disconnect();
  nr.destroy();
});

const realTime = (ms: number) => sleep(ms);

describeStoreContract(
  'RedisStore (ioredis)',
  () => ({ store: new RedisStore({ client: io, keyPrefix: `${prefix}io:` }), advance: realTime }),
  { skip: !up },
);

describeStoreContract(
  'RedisStore (node-redis)',
  () => ({ store: new RedisStore({ client: nr, keyPrefix: `${prefix}nr:` }), advance: realTime }),
  { skip: !up },
);

describe.skipIf(!up)('RedisStore specifics', () => {
  it('keeps one key per record under the prefix, with the lease as its TTL', async () => {
    const store = new RedisStore({ client: io, keyPrefix: `${prefix}shape:` });
    const key = randomBytes(32).toString('hex');
    await store.claim({ key, fingerprint: 'f', ownerToken: 't', leaseMs: 5_000 });
    const ttl = await io.pttl(`${prefix}shape:${key}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    await store.complete({ key, ownerToken: 't', response: sampleResponse(), retentionMs: 90_000 });
    expect(await io.pttl(`${prefix}shape:${key}`)).toBeGreaterThan(5_000);
    expect(await io.keys(`${prefix}shape:*`)).toEqual([`${prefix}shape:${key}`]);
  });

  it('works again after the server forgot its scripts (NOSCRIPT falls back to EVAL)', async () => {
    for (const client of [io, nr]) {
      const store = new RedisStore({ client, keyPrefix: `${prefix}noscript:` });
      await io.script('FLUSH');
      const key = randomUUID();
      await expect(
        store.claim({ key, fingerprint: 'f', ownerToken: 't', leaseMs: 5_000 }),
      ).resolves.toEqual({ outcome: 'claimed' });
      await io.script('FLUSH');
      await expect(store.release(key, 't')).resolves.toBe(true);
    }
  });

  it('a foreign value under the prefix is reported, not misread as a record', async () => {
    const store = new RedisStore({ client: io, keyPrefix: `${prefix}foreign:` });
    await io.set(`${prefix}foreign:k`, 'not a record', 'PX', 60_000);
    const error = await store
      .claim({ key: 'k', fingerprint: 'f', ownerToken: 't', leaseMs: 5_000 })
      .catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/unexpected reply/);
  });

  it('rejects a client it does not recognise, naming the option', () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow(/option "client"/);
    expect(() => new RedisStore(undefined as never)).toThrow(/option "client"/);
  });
});

/** Rejects if `promise` has not settled within `ms`: a hang check, not a speed test. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`still pending after ${ms} ms`);
    }),
  ]);
}

async function untilClaimed(store: IdempotencyStore): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const ok = await store
      .claim({ key: randomUUID(), fingerprint: 'f', ownerToken: 't', leaseMs: 5_000 })
      .then(() => true)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error('store did not recover after the restart');
}

describe.skipIf(!up)('RedisStore when its Redis stops mid-test (a private redis-server)', () => {
  let own: OwnRedis;
  beforeAll(async () => {
    own = await startOwnRedis();
  });
  afterEach(async () => {
    await own?.start().catch(() => undefined);
  });
  afterAll(async () => {
    await own?.stop();
  });

  for (const flavour of ['ioredis', 'node-redis'] as const) {
    it(`${flavour}: calls reject promptly with STORE_UNAVAILABLE, then recover after restart`, async () => {
      const io2 = flavour === 'ioredis' ? ioredis(own.port) : undefined;
      const nr2 = flavour === 'node-redis' ? nodeRedis(own.port) : undefined;
      await (io2 ? io2.connect() : nr2?.connect());
      const client = (io2 ?? nr2)!;
      try {
        const store = new RedisStore({ client, keyPrefix: 'outage:' });
        const key = randomUUID();
        await expect(
          store.claim({ key, fingerprint: 'f', ownerToken: 'a', leaseMs: 30_000 }),
        ).resolves.toEqual({ outcome: 'claimed' });

        await own.stop();
        const calls = [
          store.claim({ key: randomUUID(), fingerprint: 'f', ownerToken: 'b', leaseMs: 30_000 }),
          store.renew(key, 'a', 30_000),
          store.complete({ key, ownerToken: 'a', response: sampleResponse(), retentionMs: 60_000 }),
          store.release(key, 'a'),
        ];
        for (const call of calls) {
          const error = await within(
            call.then(
              () => undefined,
              (e: unknown) => e,
            ),
            10_000,
          );
          expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
          expect((error as Error).message).toMatch(
            /^RedisStore: (claim|renew|complete|release) failed: /,
          );
        }

        await own.start();
        await untilClaimed(store);
        // The private server kept nothing (no persistence): the old claim is gone,
        // which is exactly the durability risk the docs name.
        await expect(
          store.claim({ key, fingerprint: 'f', ownerToken: 'c', leaseMs: 30_000 }),
        ).resolves.toEqual({ outcome: 'claimed' });
      } finally {
        io2?.disconnect();
        nr2?.destroy();
      }
    });
  }
});
