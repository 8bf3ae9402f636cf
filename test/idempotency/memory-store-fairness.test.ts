/**
 * MemoryStore is bounded in bytes, not only in records, and one tenant cannot
 * push another's completed records out: eviction takes from the tenant holding
 * the largest share first. Memory is checked two ways: the store's own
 * accounting (`usage`) and `process.memoryUsage().arrayBuffers` after a forced
 * GC, with a generous margin (never a timing assertion).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { idempotency, tenant } from '../../src/express/index.js';
import {
  createIdempotencyEngine,
  type IdempotencyEngine,
  idempotencyStorageKey,
} from '../../src/idempotency/index.js';
import { isBulwarkError, MemoryStore, withTenant } from '../../src/index.js';
import { type Served, serve } from '../express/serve.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

/** ArrayBuffer bytes after full GCs (V8 frees backing stores lazily, so collect, yield, repeat). */
async function arrayBuffersAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().arrayBuffers;
}
const LONG = 60_000;

function runner(engine: IdempotencyEngine, body: Uint8Array) {
  return (tenantId: string, clientKey: string) =>
    withTenant({ tenantId }, () =>
      engine.execute(
        {
          key: idempotencyStorageKey({ tenantId, method: 'POST', route: '/t', clientKey }),
          fingerprint: 'f',
        },
        async () => ({ response: { status: 201, headers: {}, body }, record: true }),
      ),
    );
}

describe('MemoryStore: bounded in bytes', () => {
  it('1 MiB responses under maxBytes: 16 MiB stay under 16 MiB (accounting and memoryUsage)', async () => {
    const store = new MemoryStore({ maxBytes: 16 * MiB });
    const run = runner(createIdempotencyEngine({ store }), new Uint8Array(MiB).fill(7));
    const before = await arrayBuffersAfterGc();
    for (let i = 0; i < 100; i++) {
      expect((await run('t', `k-${i}`)).kind).toBe('executed');
    }
    const grown = (await arrayBuffersAfterGc()) - before;
    expect(store.usage.bytes).toBeLessThanOrEqual(16 * MiB);
    expect(store.usage.records).toBeGreaterThanOrEqual(14); // evicts what it must, no more
    expect(grown).toBeLessThan(32 * MiB); // unbounded, it grew by 100 MiB
    // The newest records replay; the oldest were evicted.
    expect((await run('t', 'k-99')).kind).toBe('replayed');
    expect((await run('t', 'k-0')).kind).toBe('executed');
  });

  it('defaults to 64 MiB and validates maxBytes at construction', () => {
    expect(new MemoryStore().usage).toMatchObject({ records: 0, bytes: 0, maxBytes: 64 * MiB });
    for (const maxBytes of [0, -1, 1.5, 1_000, Number.POSITIVE_INFINITY, '1']) {
      expect(() => new MemoryStore({ maxBytes: maxBytes as number })).toThrow(/maxBytes/);
    }
  });

  it('never evicts a live lease for bytes: when leases fill the budget, claims fail closed', async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 });
    const owners: string[] = [];
    let refused: unknown;
    for (let i = 0; i < 1_000 && refused === undefined; i++) {
      await store
        .claim({ key: `k${i}`, fingerprint: 'f', ownerToken: `t${i}`, leaseMs: LONG })
        .then(() => owners.push(`k${i}`))
        .catch((error: unknown) => {
          refused = error;
        });
    }
    expect(isBulwarkError(refused, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    expect(owners.length).toBeGreaterThan(10);
    for (const key of owners) {
      await expect(store.renew(key, `t${key.slice(1)}`, LONG)).resolves.toBe(true);
    }
    expect(store.usage.bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('MemoryStore: a completion is never refused for space', () => {
  it('leases fill the budget: the completion is kept over it and replays; the next claim makes room', async () => {
    const store = new MemoryStore({ maxBytes: 64 * 1024 });
    let held = 0;
    for (let full = false; !full; held++) {
      full = await store
        .claim({ key: `k${held}`, fingerprint: 'f', ownerToken: `t${held}`, leaseMs: LONG })
        .then(
          () => false,
          () => true,
        );
    }
    const body = new Uint8Array(32 * 1024).fill(1);
    const response = { status: 201, headers: {}, body };
    await expect(
      store.complete({ key: 'k0', ownerToken: 't0', response, retentionMs: LONG }),
    ).resolves.toBe(true);
    expect(store.usage.bytes).toBeGreaterThan(64 * 1024);
    const seen = await store.claim({ key: 'k0', fingerprint: 'f', ownerToken: 'x', leaseMs: LONG });
    expect(seen.outcome === 'completed' && seen.response.body.byteLength).toBe(32 * 1024);
    await store.claim({ key: 'next', fingerprint: 'f', ownerToken: 'n', leaseMs: LONG });
    expect(store.usage.bytes).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('MemoryStore: one tenant cannot evict another', () => {
  it("tenant A floods 10 000 records (the default cap): B's completed record survives and B's retry replays", async () => {
    const store = new MemoryStore();
    const run = runner(createIdempotencyEngine({ store }), new Uint8Array(16));
    expect((await run('tenant-b', 'b-1')).kind).toBe('executed');
    for (let i = 0; i < 10_000; i++) await run('tenant-a', `a-${i}`);
    expect((await run('tenant-b', 'b-1')).kind).toBe('replayed');
    expect(store.usage.records).toBeLessThanOrEqual(10_000);
    // A paid for its own flood: its oldest record went, its newest stays.
    expect((await run('tenant-a', 'a-9999')).kind).toBe('replayed');
  });

  it("A floods 1 MiB responses past maxBytes: B's record survives, A's newest replay", async () => {
    const store = new MemoryStore({ maxBytes: 16 * MiB });
    const run = runner(createIdempotencyEngine({ store }), new Uint8Array(MiB));
    expect((await run('tenant-b', 'b-1')).kind).toBe('executed');
    for (let i = 0; i < 64; i++) await run('tenant-a', `a-${i}`);
    expect(store.usage.bytes).toBeLessThanOrEqual(16 * MiB);
    expect((await run('tenant-b', 'b-1')).kind).toBe('replayed');
    expect((await run('tenant-a', 'a-63')).kind).toBe('replayed');
  });

  it('a hog that holds most of the store gives way to a newcomer, whose own records then stay', async () => {
    const store = new MemoryStore({ maxEntries: 100 });
    const run = runner(createIdempotencyEngine({ store }), new Uint8Array(16));
    for (let i = 0; i < 100; i++) await run('hog', `h-${i}`);
    for (let i = 0; i < 30; i++) await run('small', `s-${i}`);
    for (let i = 100; i < 300; i++) await run('hog', `h-${i}`);
    for (let i = 0; i < 30; i++) expect((await run('small', `s-${i}`)).kind).toBe('replayed');
  });
});

describe('MemoryStore: invariants under a random multi-tenant workload', () => {
  it('never loses a live lease, never exceeds its bounds on a claim, and replays what it keeps', async () => {
    let now = 0;
    const store = new MemoryStore({ maxEntries: 200, maxBytes: 256 * 1024, clock: () => now });
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const leases = new Map<string, { token: string; tenantId: string; until: number }>();
    const bodies = new Map<string, number>();
    for (let step = 0; step < 20_000; step++) {
      now += Math.floor(random() * 5);
      const tenantId = `t${Math.floor(random() ** 3 * 20)}`; // a few tenants do most of the work
      const key = `${tenantId}:${Math.floor(random() * 400)}`;
      const roll = random();
      const live = leases.get(key);
      if (live && live.until > now && roll < 0.5) {
        const size = Math.floor(random() * 8_192);
        const stored = await store.complete({
          key,
          ownerToken: live.token,
          response: {
            status: 201,
            headers: { 'x-size': String(size) },
            body: new Uint8Array(size),
          },
          retentionMs: 5_000,
        });
        expect(stored).toBe(true); // its lease was live: nobody may have evicted it
        leases.delete(key);
        bodies.set(key, size);
        continue;
      }
      const token = `tok-${step}`;
      const leaseMs = 1 + Math.floor(random() * 400);
      const result = await store
        .claim({ key, fingerprint: 'f', ownerToken: token, leaseMs, tenantId })
        .catch((error: unknown) => {
          expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
          return undefined;
        });
      if (result?.outcome === 'claimed') {
        leases.set(key, { token, tenantId, until: now + leaseMs });
        expect(store.usage.records).toBeLessThanOrEqual(200);
        expect(store.usage.bytes).toBeLessThanOrEqual(256 * 1024);
      }
      if (result?.outcome === 'completed') {
        expect(result.response.body.byteLength).toBe(bodies.get(key));
      }
      if (result?.outcome === 'in_flight') expect(leases.get(key)?.until).toBeGreaterThan(now);
    }
    // Every lease still live by the clock is still held by its owner.
    for (const [key, lease] of leases) {
      if (lease.until > now) await expect(store.renew(key, lease.token, 1)).resolves.toBe(true);
    }
  });
});

describe('MemoryStore behind tenant() and idempotency(): the tenant reaches the store', () => {
  let served: Served | undefined;
  afterAll(() => served?.close());

  it("200 keys from tenant A through a 50-record store: B's retry is a replay, B ran once", async () => {
    const executions = new Map<string, number>();
    const app = express();
    app.use(tenant());
    app.post(
      '/transfers',
      express.json(),
      idempotency({ store: new MemoryStore({ maxEntries: 50 }) }),
      (req, res) => {
        const who = String(req.get('x-tenant-id'));
        executions.set(who, (executions.get(who) ?? 0) + 1);
        res.status(201).json({ ok: true });
      },
    );
    served = await serve(app);
    const post = (tenantId: string, key: string) =>
      fetch(`${served?.url}/transfers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          'x-tenant-id': tenantId,
        },
        body: '{"amount":1}',
      });
    expect((await post('tenant-b', 'b-1')).status).toBe(201);
    for (let i = 0; i < 200; i++) expect((await post('tenant-a', `a-${i}`)).status).toBe(201);
    const retry = await post('tenant-b', 'b-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(executions.get('tenant-b')).toBe(1);
  });
});
