import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { type OwnRedis, startOwnRedis } from '../redis/own-redis.js';
import { requireService } from '../support/services.js';
import { closeAll, listen, postJson } from './idempotency-helpers.js';
import { majors } from './serve.js';

// Needs redis-server on this machine (the shared Redis answering says it is installed).
const up = await requireService('redis');

describe.skipIf(!up)('idempotency() while its Redis goes down and comes back', () => {
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
    await closeAll();
    client?.disconnect();
    await own?.stop();
  });

  it.each(majors)(
    '$name: 503 + Retry-After and zero executions while down; executes once after recovery',
    async ({ express }) => {
      const app = express();
      let executions = 0;
      app.post(
        '/t',
        express.json(),
        idempotency({ store: new RedisStore({ client }), storeTimeoutMs: 1_000 }),
        (req, res) => {
          executions += 1;
          res.status(201).json(req.body);
        },
      );
      const { url } = await listen(app);
      const key = randomUUID();

      expect((await postJson(`${url}/t`, randomUUID(), { warm: true })).status).toBe(201);
      await own.stop();
      for (let i = 0; i < 5; i += 1) {
        const down = await postJson(`${url}/t`, key, { amount: 1 });
        expect(down.status).toBe(503);
        expect(down.headers.get('retry-after')).toBe('1');
        expect(await down.json()).toMatchObject({
          type: 'urn:bulwark:problem:idempotency-store-unavailable',
        });
      }
      expect(executions).toBe(1);

      await own.start();
      await expect
        .poll(async () => (await postJson(`${url}/t`, key, { amount: 1 })).status, {
          timeout: 15_000,
          interval: 200,
        })
        .toBe(201);
      const replay = await postJson(`${url}/t`, key, { amount: 1 });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(executions).toBe(2);
    },
    60_000,
  );
});
