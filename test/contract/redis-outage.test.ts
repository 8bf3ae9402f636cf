import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/redis/index.js';
import { postJson } from '../express/idempotency-helpers.js';
import { type OwnRedis, startOwnRedis } from '../redis/own-redis.js';
import { requireService } from '../support/services.js';
import { adapters, closeApps } from './adapters.js';

// Needs redis-server on this machine (the shared Redis answering says it is installed).
const up = await requireService('redis');

describe.skipIf(!up)('idempotency while its Redis goes down and comes back', () => {
  let own: OwnRedis;
  let client: Redis;

  beforeAll(async () => {
    own = await startOwnRedis();
    // Fail fast while Redis is down, as the RedisStore docs ask.
    client = new Redis({
      port: own.port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    client.on('error', () => {}); // connection errors are expected here; claims report them
    await new Promise((resolve) => client.once('ready', resolve));
  }, 30_000);

  afterAll(async () => {
    await closeApps();
    client?.disconnect();
    await own?.stop();
  });

  it.each(adapters)(
    '$name: 503 + Retry-After and zero executions while down; executes once after recovery',
    async (adapter) => {
      let executions = 0;
      const app = await adapter.makeApp({
        tenant: false,
        idempotency: { store: new RedisStore({ client }), storeTimeoutMs: 1_000 },
        routes: [
          {
            method: 'POST',
            path: '/t',
            handler: ({ body }) => {
              executions += 1;
              return { status: 201, json: body };
            },
          },
        ],
      });
      const key = randomUUID();

      expect((await postJson(`${app.url}/t`, randomUUID(), { warm: true })).status).toBe(201);
      await own.stop();
      for (let i = 0; i < 5; i += 1) {
        const down = await postJson(`${app.url}/t`, key, { amount: 1 });
        expect(down.status).toBe(503);
        expect(down.headers.get('retry-after')).toBe('1');
        expect(await down.json()).toMatchObject({
          type: 'urn:bulwark:problem:idempotency-store-unavailable',
        });
      }
      expect(executions).toBe(1);

      await own.start();
      await expect
        .poll(async () => (await postJson(`${app.url}/t`, key, { amount: 1 })).status, {
          timeout: 15_000,
          interval: 200,
        })
        .toBe(201);
      const replay = await postJson(`${app.url}/t`, key, { amount: 1 });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(executions).toBe(2);
    },
    60_000,
  );
});
