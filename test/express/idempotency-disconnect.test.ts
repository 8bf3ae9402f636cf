import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { type IdempotencyStore, MemoryStore } from '../../src/index.js';
import { RedisStore } from '../../src/redis/index.js';
import { requireService, services } from '../support/services.js';
import { closeAll, gate, listen, postJson } from './idempotency-helpers.js';
import { majors } from './serve.js';
import { wire } from './wire.js';

/*
 * A client that hangs up while a slow handler runs, then retries: the key must
 * stay claimed for as long as the handler runs, listener or not (the retry
 * meanwhile gets 409), and the handler's answer must be recorded when it ends
 * (the retry after that gets the replay). Never a second execution.
 */

const redisUp = await requireService('redis');
const prefix = `bulwark-test:disconnect:${randomBytes(6).toString('hex')}:`;
const redis = new Redis({ ...services.redis, lazyConnect: true, maxRetriesPerRequest: 1 });

beforeAll(async () => {
  if (redisUp) await redis.connect();
});
afterEach(closeAll);
afterAll(async () => {
  if (redisUp) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const LEASE_MS = 500;

const stores: { name: string; up: boolean; create: () => IdempotencyStore }[] = [
  { name: 'MemoryStore', up: true, create: () => new MemoryStore() },
  {
    name: 'RedisStore',
    up: redisUp,
    create: () => new RedisStore({ client: redis, keyPrefix: prefix }),
  },
];

describe.each(majors)('idempotency() on $name: a client that disconnects', ({ express }) => {
  for (const store of stores) {
    it.skipIf(!store.up)(
      `${store.name}: the handler outlives the lease; the retry gets 409 while it runs, then its replay`,
      async () => {
        const release = gate();
        let runs = 0;
        const app = express();
        app.post(
          '/transfers',
          express.json(),
          idempotency({ store: store.create(), leaseMs: LEASE_MS }),
          async (req, res) => {
            runs += 1;
            const run = runs;
            if (run === 1) await release.wait; // a second run (the defect) answers at once

            res.status(201).json({ run, amount: req.body.amount });
          },
        );
        const { port, url } = await listen(app);
        const key = randomUUID();

        // The first request, from a client that really goes away after 100 ms.
        const client = await wire(port);
        client.send(
          `POST /transfers HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${key}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 12\r\n\r\n{"amount":5}',
        );
        await expect.poll(() => runs).toBe(1);
        await sleep(100);
        client.close();

        // Two leases after the hang-up, the handler still runs: its key is still held.
        await sleep(2 * LEASE_MS);
        const during = await postJson(`${url}/transfers`, key, { amount: 5 });
        expect([during.status, await during.text()]).toEqual([409, expect.any(String)]);
        expect(runs).toBe(1);

        // The handler ends with nobody listening; its answer is what the retry gets.
        release.open();
        let after: Response | undefined;
        await expect
          .poll(async () => {
            after = await postJson(`${url}/transfers`, key, { amount: 5 });
            return after.status;
          })
          .toBe(201);
        expect(after?.headers.get('idempotent-replayed')).toBe('true');
        expect(await after?.json()).toEqual({ run: 1, amount: 5 });
        expect(runs).toBe(1);
      },
    );
  }
});
