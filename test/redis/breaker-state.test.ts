import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { ErrorCode, isBulwarkError } from '../../src/index.js';
import { RedisBreakerState } from '../../src/redis/index.js';
import { breakerPolicy } from '../../src/resilience/index.js';
import { resetError, settle } from '../resilience/helpers.js';
import { requireService, services } from '../support/services.js';
import {
  connections,
  type Flavour,
  type FleetInstance,
  startInstance,
  transitions,
} from './fleet-helpers.js';
import { type OwnRedis, startOwnRedis } from './own-redis.js';

/*
 * Breakers shared through Redis by several instances (each with its own
 * connections, RedisBreakerState and pipeline), in one process against the
 * real Redis. The multi-process proof is in breaker-fleet.test.ts.
 */

const up = await requireService('redis');
const suite = `bulwark-test:breaker:${randomBytes(6).toString('hex')}:`;
const admin = new Redis({ host: '127.0.0.1', port: services.redis.port, lazyConnect: true });
const running: FleetInstance[] = [];

beforeAll(async () => {
  if (up) await admin.connect();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((instance) => instance.close()));
});
afterAll(async () => {
  if (!up) return;
  const keys = await admin.keys(`${suite}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

const fail = () => {
  throw resetError();
};
const ok = () => 'ok';
const BREAK_MS = 800;
const consecutive = {
  mode: 'consecutive',
  consecutiveFailures: 2,
  breakDurationMs: BREAK_MS,
} as const;

let prefixes = 0;
/** A key prefix (and so a channel) of one test's own. */
const prefix = () => `${suite}${prefixes++}:`;

async function fleet(flavour: Flavour, size: number, keyPrefix = prefix(), state = {}) {
  const instances: FleetInstance[] = [];
  for (let i = 0; i < size; i++) {
    instances.push(await startInstance(flavour, keyPrefix, 'bank', consecutive, state));
  }
  running.push(...instances);
  return instances;
}

async function trip(instance: FleetInstance, key?: string) {
  for (let i = 0; i < consecutive.consecutiveFailures; i++) {
    await settle(instance.pipeline.execute(fail, { key }));
  }
  expect(instance.pipeline.circuitState(key)).toBe('open');
}

/** Waits until `check` holds, polling every 10 ms; throws after `ms`. Returns the time it took. */
async function within(ms: number, check: () => boolean): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
  return performance.now() - start;
}

function retryAfter(error: unknown): number {
  expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
  return (error as { retryAfterMs: number }).retryAfterMs;
}

for (const flavour of ['ioredis', 'node-redis'] as const) {
  describe.skipIf(!up)(`RedisBreakerState (${flavour})`, () => {
    it('a break opened by one instance holds on the others within 1 s, for the time it has left', async () => {
      const [a, b, c] = await fleet(flavour, 3);
      await trip(a!, 'https://bank.example');
      const tookMs = await within(1_000, () =>
        [b, c].every((i) => i!.pipeline.circuitState('https://bank.example') === 'open'),
      );
      expect(tookMs).toBeLessThan(1_000);
      await sleep(300);
      let called = false;
      const { error } = await settle(
        b!.pipeline.execute(
          () => {
            called = true;
          },
          { key: 'https://bank.example' },
        ),
      );
      expect(called).toBe(false);
      // The remaining break, not a fresh one: at least the 300 ms waited are gone.
      expect(retryAfter(error)).toBeLessThanOrEqual(BREAK_MS - 300 + 20);
      expect(transitions(b!.events)).toEqual(['circuit_opened/fleet']);
      expect(transitions(a!.events)).toEqual(['circuit_opened/local']);
      // Another key stays closed everywhere.
      expect(b!.pipeline.circuitState('https://other.example')).toBeUndefined();
    });

    it('after the break one probe runs for the whole fleet; its success closes every instance', async () => {
      const [a, b, c] = await fleet(flavour, 3);
      await trip(a!);
      await within(1_000, () => c!.pipeline.circuitState() === 'open');
      await sleep(BREAK_MS + 50);
      let probes = 0;
      let release: (() => void) | undefined;
      const probe = () => {
        probes++;
        return new Promise<string>((resolve) => {
          release = () => resolve('ok');
        });
      };
      // Every instance calls, over and over, while the one probe hangs.
      const outcomes: unknown[] = [];
      for (let round = 0; round < 20; round++) {
        for (const instance of [a, b, c]) {
          const call = instance!.pipeline.execute(probe);
          void settle(call).then((r) => outcomes.push(r.error ?? r.value));
        }
        await sleep(10);
      }
      expect(probes).toBe(1);
      const refused = outcomes.filter((o) => isBulwarkError(o, ErrorCode.CircuitOpen));
      expect(refused.length).toBeGreaterThan(50);
      for (const error of refused) expect(retryAfter(error)).toBeGreaterThan(0);
      release?.();
      await within(1_000, () => [a, b, c].every((i) => i!.pipeline.circuitState() === 'closed'));
      for (const instance of [a, b, c]) {
        await expect(instance!.pipeline.execute(ok)).resolves.toBe('ok');
      }
      const closedBy = [a, b, c].map((i) => transitions(i!.events).at(-1));
      expect(closedBy.filter((t) => t === 'circuit_closed/local')).toHaveLength(1);
      expect(closedBy.filter((t) => t === 'circuit_closed/fleet')).toHaveLength(2);
    });

    it('a failed probe opens a fresh break everywhere', async () => {
      const [a, b] = await fleet(flavour, 2);
      await trip(a!);
      await within(1_000, () => b!.pipeline.circuitState() === 'open');
      await sleep(BREAK_MS + 50);
      // Both ask; the lease goes to one, whose probe fails.
      let probes = 0;
      const failing = () => {
        probes++;
        throw resetError();
      };
      await within(2_000, () => {
        for (const i of [a, b]) void settle(i!.pipeline.execute(failing));
        return probes > 0;
      });
      await within(1_000, () => [a, b].every((i) => i!.pipeline.circuitState() === 'open'));
      expect(probes).toBe(1);
      const { error } = await settle(b!.pipeline.execute(ok));
      expect(retryAfter(error)).toBeGreaterThan(BREAK_MS - 300);
    });

    it('a new instance starts from the fleet state, without a snapshot', async () => {
      const keyPrefix = prefix();
      const [a] = await fleet(flavour, 1, keyPrefix);
      await trip(a!, 'k');
      const [late] = await fleet(flavour, 1, keyPrefix);
      let called = false;
      const { error } = await settle(
        late!.pipeline.execute(
          () => {
            called = true;
          },
          { key: 'k' },
        ),
      );
      expect(called).toBe(false);
      expect(retryAfter(error)).toBeLessThanOrEqual(BREAK_MS);
      expect(late!.pipeline.circuitState('k')).toBe('open');
      expect(transitions(late!.events)).toEqual(['circuit_opened/fleet']);
    });

    it('calls on a closed or an open breaker make no Redis round trip; transitions write once', async () => {
      const [a, b] = await fleet(flavour, 2);
      const before = a!.scripts();
      for (let i = 0; i < 1_000; i++) await a!.pipeline.execute(ok);
      expect(a!.scripts() - before).toBe(0);
      await trip(a!);
      expect(a!.scripts() - before).toBe(1);
      await within(1_000, () => b!.pipeline.circuitState() === 'open');
      const bBefore = b!.scripts();
      for (let i = 0; i < 1_000; i++) await settle(a!.pipeline.execute(ok));
      for (let i = 0; i < 1_000; i++) await settle(b!.pipeline.execute(ok));
      expect(a!.scripts() - before).toBe(1);
      expect(b!.scripts() - bBefore).toBe(0);
    });
  });
}

describe.skipIf(!up)(
  'RedisBreakerState: without a subscriber, and when the probe holder dies',
  () => {
    it('without a subscriber the fleet state arrives by the poll, within 1 s', async () => {
      const keyPrefix = prefix();
      const [a] = await fleet('ioredis', 1, keyPrefix);
      const polled = await startInstance('node-redis', keyPrefix, 'bank', consecutive, {
        subscriber: undefined,
        pollIntervalMs: 300,
      });
      running.push(polled);
      await trip(a!);
      const tookMs = await within(1_000, () => polled.pipeline.circuitState() === 'open');
      expect(tookMs).toBeLessThan(1_000);
      expect(transitions(polled.events)).toEqual(['circuit_opened/fleet']);
    });

    it('a probe holder that dies keeps the fleet failing fast until its lease lapses, then another probes', async () => {
      const keyPrefix = prefix();
      const lease = { probeLeaseMs: 700 };
      const [a, b] = await fleet('ioredis', 2, keyPrefix, lease);
      await trip(a!);
      await within(1_000, () => b!.pipeline.circuitState() === 'open');
      await sleep(BREAK_MS + 50);
      // a takes the lease and starts its probe, then dies (its probe never ends).
      let probes = 0;
      const hang = () => {
        probes++;
        return new Promise<string>(() => {});
      };
      await within(1_000, () => {
        void settle(a!.pipeline.execute(hang));
        return probes === 1;
      });
      await a!.close();
      const diedAt = performance.now();
      // b fails fast while the lease runs, then takes it and probes.
      let bProbes = 0;
      const refusedWhileLeased: number[] = [];
      await within(3_000, () => {
        void settle(
          b!.pipeline.execute(() => {
            bProbes++;
            return 'ok';
          }),
        ).then(({ error }) => {
          if (error !== undefined) refusedWhileLeased.push(performance.now() - diedAt);
        });
        return bProbes > 0;
      });
      expect(performance.now() - diedAt).toBeGreaterThan(400);
      expect(bProbes).toBe(1);
      expect(refusedWhileLeased.length).toBeGreaterThan(5);
      await within(1_000, () => b!.pipeline.circuitState() === 'closed');
    });
  },
);

describe.skipIf(!up)('RedisBreakerState: what it keeps in Redis', () => {
  it('every key it writes expires', async () => {
    const keyPrefix = prefix();
    const [a] = await fleet('ioredis', 1, keyPrefix, { stateTtlMs: 60_000, probeLeaseMs: 5_000 });
    await trip(a!, 'https://bank.example');
    await sleep(BREAK_MS + 50);
    await settle(a!.pipeline.execute(ok, { key: 'https://bank.example' })); // takes the lease
    await sleep(50);
    const keys = await admin.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60_000);
    }
  });

  it('remembers at most maxKeys fleet keys with no breaker here', async () => {
    const keyPrefix = prefix();
    const writer = (await fleet('ioredis', 1, keyPrefix))[0]!;
    const reader = await startInstance('ioredis', keyPrefix, 'bank', {
      ...consecutive,
      maxKeys: 10,
    });
    running.push(reader);
    for (let i = 0; i < 30; i++) await trip(writer, `host-${i}`);
    await sleep(300);
    const known = Array.from({ length: 30 }, (_, i) => reader.pipeline.circuitState(`host-${i}`));
    expect(known.filter((s) => s !== undefined).length).toBeLessThanOrEqual(10);
    expect(known.at(-1)).toBe('open');
  });

  it('rejects options it cannot use, naming them', () => {
    expect(() => new RedisBreakerState({ client: {} as never })).toThrow(/option "client"/);
    expect(() => new RedisBreakerState(undefined as never)).toThrow(/option "client"/);
    const client = admin;
    expect(() => new RedisBreakerState({ client, subscriber: {} as never })).toThrow(
      /option "subscriber"/,
    );
    expect(() => new RedisBreakerState({ client, probeLeaseMs: 0 })).toThrow(/"probeLeaseMs"/);
    expect(() => new RedisBreakerState({ client, timeoutMs: -1 })).toThrow(/"timeoutMs"/);
    expect(() => breakerPolicy('x', { shared: {} as never })).toThrow(/"breaker.shared"/);
    // Subscribe mode would block the scripts: the subscriber must be a second connection.
    expect(() => new RedisBreakerState({ client, subscriber: client })).toThrow(
      /option "subscriber"/,
    );
  });

  it('reaches createFetch() through its resilience options: breakers per origin, shared', async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`;
    const keyPrefix = prefix();
    const states: RedisBreakerState[] = [];
    const ends: Array<() => Promise<void>> = [];
    const fleetFetch = async () => {
      const c = await connections('ioredis');
      const shared = new RedisBreakerState({
        client: c.client,
        subscriber: c.subscriber,
        keyPrefix,
      });
      states.push(shared);
      ends.push(c.end);
      return createFetch({ resilience: { retry: false, breaker: { ...consecutive, shared } } });
    };
    let served = 0;
    server.on('request', () => served++);
    try {
      const a = await fleetFetch();
      const b = await fleetFetch();
      await Promise.all(states.map((s) => s.ready()));
      for (let i = 0; i < 2; i++) expect((await a(url)).status).toBe(503);
      expect(served).toBe(2);
      // b's breaker for this origin is open without b calling it once.
      await sleep(300);
      const error = await b(url).catch((e: unknown) => e);
      expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
      expect(served).toBe(2);
    } finally {
      for (const s of states) s.close();
      await Promise.all(ends.map((end) => end()));
      server.closeAllConnections();
      server.close();
    }
  });

  it('ready() settles within its bound when Redis is down, even on connections that queue commands', async () => {
    // Default ioredis settings: an offline queue, retried for ever; nothing listens on port 1.
    const client = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 100 });
    const subscriber = new Redis({ host: '127.0.0.1', port: 1, retryStrategy: () => 100 });
    for (const c of [client, subscriber]) c.on('error', () => undefined);
    const shared = new RedisBreakerState({
      client,
      subscriber,
      keyPrefix: prefix(),
      timeoutMs: 200,
    });
    try {
      const pipeline = breakerPolicy('bank', { ...consecutive, shared });
      const start = performance.now();
      await shared.ready();
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(shared.up).toBe(false);
      // The breaker works alone meanwhile.
      await expect(pipeline.execute(ok)).resolves.toBe('ok');
      await trip({ pipeline } as FleetInstance);
    } finally {
      shared.close();
      client.disconnect();
      subscriber.disconnect();
    }
  });
});

describe.skipIf(!up)('RedisBreakerState when Redis stops (a private redis-server)', () => {
  let own: OwnRedis;
  beforeAll(async () => {
    own = await startOwnRedis();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('after Redis lost its data, the instance that tripped still gets the probe, and it closes', async () => {
    await own.start().catch(() => undefined);
    const keyPrefix = prefix();
    const make = () => startInstance('ioredis', keyPrefix, 'bank', consecutive, {}, own.port);
    const a = await make();
    const b = await make();
    running.push(a, b);
    await trip(a); // a now knows the break's epoch
    await within(1_000, () => b.pipeline.circuitState() === 'open');
    const admin = new Redis({ host: '127.0.0.1', port: own.port });
    await admin.flushall();
    admin.disconnect();
    await sleep(BREAK_MS + 50);
    let probes = 0;
    await within(2_000, () => {
      void settle(
        a.pipeline.execute(() => {
          probes++;
          return 'ok';
        }),
      );
      return probes > 0;
    });
    expect(probes).toBe(1);
    await within(1_000, () => a.pipeline.circuitState() === 'closed');
    await expect(b.pipeline.execute(ok)).resolves.toBe('ok');
    expect(b.pipeline.circuitState()).toBe('closed');
  });

  for (const flavour of ['ioredis', 'node-redis'] as const) {
    it(`${flavour}: each breaker goes on alone at once, no call waits, and the fleet converges after`, async () => {
      await own.start().catch(() => undefined);
      const keyPrefix = prefix();
      const errors: unknown[] = [];
      const make = () =>
        startInstance(
          flavour,
          keyPrefix,
          'bank',
          consecutive,
          { onError: (e: unknown) => errors.push(e) },
          own.port,
        );
      const a = await make();
      const b = await make();
      running.push(a, b);
      await own.stop();
      // Every call settles without waiting on Redis (timeoutMs is 500 ms).
      const timed = async (instance: FleetInstance, fn: () => unknown) => {
        const start = performance.now();
        const result = await settle(instance.pipeline.execute(fn));
        expect(performance.now() - start).toBeLessThan(250);
        return result;
      };
      for (let i = 0; i < 20; i++) expect((await timed(a, ok)).value).toBe('ok');
      await timed(a, fail);
      await timed(a, fail);
      expect(a.pipeline.circuitState()).toBe('open');
      // b never hears of it: its own breaker decides.
      expect((await timed(b, ok)).value).toBe('ok');
      await sleep(BREAK_MS + 50);
      // The probe is a's own, on the first call after the break: no lease to wait for.
      let probes = 0;
      await timed(a, () => {
        probes++;
        throw resetError();
      });
      expect(probes).toBe(1);
      expect(a.pipeline.circuitState()).toBe('open');
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(isBulwarkError(errors[0], ErrorCode.BreakerStateUnavailable)).toBe(true);
      // Redis returns: a's open break reaches b within a few seconds.
      await own.start();
      await within(5_000, () => b.pipeline.circuitState() === 'open');
      expect(transitions(b.events)).toContain('circuit_opened/fleet');
    }, 30_000);
  }
});
