import { afterEach, describe, expect, it, vi } from 'vitest';
import { settledMemoryCalls } from '../../src/idempotency/memory-store.js';
import type { ClaimResult } from '../../src/idempotency/store.js';
import { isBulwarkError, MemoryStore } from '../../src/index.js';
import { describeStoreContract, sampleResponse } from './store-contract.js';

function fakeClock() {
  let now = 1_000;
  return {
    clock: () => now,
    advance: async (ms: number) => {
      now += ms;
    },
  };
}

describeStoreContract('MemoryStore', () => {
  const { clock, advance } = fakeClock();
  return { store: new MemoryStore({ clock }), advance };
});

describeStoreContract('MemoryStore on its default monotonic clock', () => ({
  store: new MemoryStore(),
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}));

const LONG = 60_000;

/** Claims the completed record of `key` as a new owner: the response a replay gets. */
async function replayOf(store: MemoryStore, ownerToken: string, key = 'k') {
  const claim = await store.claim({ key, fingerprint: 'f', ownerToken, leaseMs: LONG });
  if (claim.outcome !== 'completed') throw new Error(`expected completed, got ${claim.outcome}`);
  return claim.response;
}

async function fill(store: MemoryStore, keys: string[], complete: boolean) {
  for (const key of keys) {
    await store.claim({ key, fingerprint: 'f', ownerToken: `t-${key}`, leaseMs: LONG });
    if (complete) {
      await store.complete({
        key,
        ownerToken: `t-${key}`,
        response: sampleResponse(),
        retentionMs: LONG,
      });
    }
  }
}

describe('MemoryStore bounds', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('evicts the least recently used completed record when full', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    await fill(store, ['a', 'b', 'c'], true);
    // Touch "a" so "b" becomes the least recently used.
    await store.claim({ key: 'a', fingerprint: 'f', ownerToken: 'x', leaseMs: LONG });
    await store.claim({ key: 'd', fingerprint: 'f', ownerToken: 'td', leaseMs: LONG });
    const b = await store.claim({ key: 'b', fingerprint: 'f', ownerToken: 'y', leaseMs: LONG });
    expect(b.outcome).toBe('claimed');
    const a = await store.claim({ key: 'a', fingerprint: 'f', ownerToken: 'z', leaseMs: LONG });
    expect(a.outcome).toBe('completed');
  });

  it('never evicts a live in-flight record: evicts completed ones instead', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    await fill(store, ['old-in-flight'], false);
    await fill(store, ['c1', 'c2'], true);
    await store.claim({ key: 'new', fingerprint: 'f', ownerToken: 'n', leaseMs: LONG });
    const held = await store.claim({
      key: 'old-in-flight',
      fingerprint: 'f',
      ownerToken: 'q',
      leaseMs: LONG,
    });
    expect(held.outcome).toBe('in_flight');
  });

  it('rejects the claim with a typed error when every record is a live lease', async () => {
    const { clock, advance } = fakeClock();
    const store = new MemoryStore({ maxEntries: 2, clock });
    await fill(store, ['a', 'b'], false);
    const error = await store
      .claim({ key: 'c', fingerprint: 'f', ownerToken: 'c', leaseMs: LONG })
      .catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    expect(isBulwarkError(error) && error.retryAfterMs).toBe(LONG);
    // Both original owners still hold their keys.
    await expect(store.renew('a', 't-a', LONG)).resolves.toBe(true);
    await expect(store.renew('b', 't-b', LONG)).resolves.toBe(true);
    // Once leases lapse, their slots are reusable.
    await advance(LONG + 1);
    await expect(
      store.claim({ key: 'c', fingerprint: 'f', ownerToken: 'c', leaseMs: LONG }),
    ).resolves.toEqual({ outcome: 'claimed' });
  });

  it('evicts an expired record before a live completed one', async () => {
    const { clock, advance } = fakeClock();
    const store = new MemoryStore({ maxEntries: 2, clock });
    await store.claim({ key: 'short', fingerprint: 'f', ownerToken: 's', leaseMs: 10 });
    await fill(store, ['kept'], true);
    await advance(20);
    await store.claim({ key: 'new', fingerprint: 'f', ownerToken: 'n', leaseMs: LONG });
    const kept = await store.claim({
      key: 'kept',
      fingerprint: 'f',
      ownerToken: 'k',
      leaseMs: LONG,
    });
    expect(kept.outcome).toBe('completed');
  });

  it('stores a copy of the body: later mutation by the caller changes nothing', async () => {
    const store = new MemoryStore();
    await store.claim({ key: 'k', fingerprint: 'f', ownerToken: 't', leaseMs: LONG });
    const body = Uint8Array.from([1, 2, 3]);
    await store.complete({
      key: 'k',
      ownerToken: 't',
      response: sampleResponse(body),
      retentionMs: LONG,
    });
    body[0] = 99;
    const first = await replayOf(store, 'u');
    first.body[1] = 99;
    const second = await replayOf(store, 'v');
    expect([...second.body]).toEqual([1, 2, 3]);
  });

  it('stores exactly the bytes of a view into a larger buffer, and copies the headers both ways', async () => {
    const store = new MemoryStore();
    await store.claim({ key: 'k', fingerprint: 'f', ownerToken: 't', leaseMs: LONG });
    const whole = Uint8Array.from([7, 0, 255, 128, 9, 7]);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    await store.complete({
      key: 'k',
      ownerToken: 't',
      response: { status: 201, headers, body: whole.subarray(1, 5) },
      retentionMs: LONG,
    });
    whole.fill(1);
    headers['content-type'] = 'text/plain';
    const first = await replayOf(store, 'u');
    expect(first.body).toBeInstanceOf(Uint8Array);
    expect([...first.body]).toEqual([0, 255, 128, 9]);
    expect(first.body.byteOffset).toBe(0);
    expect(first.body.buffer.byteLength).toBe(4);
    (first.headers as Record<string, string>)['content-type'] = 'changed';
    const second = await replayOf(store, 'v');
    expect(second).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: Uint8Array.from([0, 255, 128, 9]),
    });
  });

  it('validates its options at construction', () => {
    for (const maxEntries of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryStore({ maxEntries })).toThrow(/maxEntries/);
    }
    expect(() => new MemoryStore({ clock: 5 as unknown as () => number })).toThrow(/clock/);
  });

  it('warns once, and only when NODE_ENV=production', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    new MemoryStore();
    expect(warn).not.toHaveBeenCalled();
    vi.stubEnv('NODE_ENV', 'production');
    new MemoryStore();
    new MemoryStore();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/not shared between processes/);
  });
});

describe('MemoryStore settled calls (the engine completes through the lease its claim holds)', () => {
  const claimOf = (store: MemoryStore, key: string, ownerToken: string) =>
    settledMemoryCalls.claim(store, key, 'f', ownerToken, 60_000, undefined);
  const complete = (store: MemoryStore, key: string, ownerToken: string, claim: ClaimResult) =>
    settledMemoryCalls.complete(store, key, ownerToken, sampleResponse(), 60_000, claim);

  it('completes the held lease, and never one that was released, completed or is another key', async () => {
    const store = new MemoryStore();
    const claim = claimOf(store, 'k', 't');
    expect(claim.outcome).toBe('claimed');
    expect(complete(store, 'other', 't', claim)).toBe(false);
    expect(complete(store, 'k', 't', claim)).toBe(true);
    expect(complete(store, 'k', 't', claim)).toBe(false);

    const again = claimOf(store, 'r', 't');
    expect(await store.release('r', 't')).toBe(true);
    expect(complete(store, 'r', 't', again)).toBe(false);
    expect(store.usage.records).toBe(1);
  });

  it('keeps the lease out of what the public claim answers', async () => {
    const store = new MemoryStore();
    const request = { key: 'k', fingerprint: 'f', ownerToken: 't', leaseMs: 60_000 };
    expect(await store.claim(request)).toEqual({
      outcome: 'claimed',
    });
  });
});
