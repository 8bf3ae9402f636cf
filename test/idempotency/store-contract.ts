/**
 * The one contract suite every idempotency store passes (MemoryStore,
 * RedisStore with ioredis and node-redis, PostgresStore). See
 * `src/idempotency/store.ts` for the contract itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IdempotencyStore, StoredResponse } from '../../src/idempotency/store.js';
import { isBulwarkError } from '../../src/index.js';

/** A store under test plus a way to let the store's time pass. */
export interface StoreHarness {
  readonly store: IdempotencyStore;
  /** Lets `ms` of store time pass: moves an injected clock, or really waits. */
  advance(ms: number): Promise<void>;
}

/** A lease long enough never to lapse during a test, even on a loaded machine. */
const LONG_MS = 60_000;
/** A lease short enough to let lapse; tests then advance by {@link PAST_SHORT_MS}. */
const SHORT_MS = 300;
const PAST_SHORT_MS = 800;

/** Body bytes that are not valid UTF-8, so a store that decodes text would corrupt them. */
const BINARY_BODY = Uint8Array.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a, 0x00, 0xe9, 0x7b]);

/** A response the way the engine would hand it to `complete`. */
export function sampleResponse(body: Uint8Array = BINARY_BODY): StoredResponse {
  return {
    status: 201,
    headers: { 'content-type': 'application/octet-stream', location: '/transfers/t_1' },
    body,
  };
}

const fp = (label: string) => `${label}`.padEnd(64, '0');
const freshKey = () => randomBytes(32).toString('hex');
const token = () => randomUUID();

/**
 * Registers the contract suite for one store. `makeHarness` runs before each
 * test; `skip` skips the whole suite (a service that is not running).
 */
export function describeStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness> | StoreHarness,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip === true)(`${name}: idempotency store contract`, () => {
    let h: StoreHarness;
    const setup = async () => {
      h = await makeHarness();
      return h.store;
    };

    afterEach(() => {
      vi.useRealTimers();
    });

    it('claims an absent key, then reports in_flight with the store-clock lease left', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await expect(
        store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
      const second = await store.claim({
        key,
        fingerprint: fp('b'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(second.outcome).toBe('in_flight');
      if (second.outcome !== 'in_flight') return;
      expect(second.fingerprint).toBe(fp('a'));
      expect(second.leaseRemainingMs).toBeGreaterThan(LONG_MS / 2);
      expect(second.leaseRemainingMs).toBeLessThanOrEqual(LONG_MS);
    });

    it('a claim retried with the owner token recognises itself', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      await expect(
        store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
    });

    it('replays a completed record with the exact status, headers and body bytes', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      const response = sampleResponse();
      await expect(
        store.complete({ key, ownerToken: a, response, retentionMs: LONG_MS }),
      ).resolves.toBe(true);
      const replay = await store.claim({
        key,
        fingerprint: fp('other'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(replay.outcome).toBe('completed');
      if (replay.outcome !== 'completed') return;
      expect(replay.fingerprint).toBe(fp('a'));
      expect(replay.response.status).toBe(201);
      expect(replay.response.headers).toEqual(response.headers);
      expect(Buffer.from(replay.response.body).equals(Buffer.from(BINARY_BODY))).toBe(true);
      expect(replay.response.body).toBeInstanceOf(Uint8Array);
    });

    it('replays an empty body and a large binary body byte for byte', async () => {
      const store = await setup();
      for (const body of [new Uint8Array(0), new Uint8Array(randomBytes(256 * 1024))]) {
        const key = freshKey();
        const a = token();
        await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
        await store.complete({
          key,
          ownerToken: a,
          response: sampleResponse(body),
          retentionMs: LONG_MS,
        });
        const replay = await store.claim({
          key,
          fingerprint: fp('a'),
          ownerToken: token(),
          leaseMs: LONG_MS,
        });
        if (replay.outcome !== 'completed')
          throw new Error(`expected completed, got ${replay.outcome}`);
        expect(Buffer.from(replay.response.body).equals(Buffer.from(body))).toBe(true);
      }
    });

    it('fences a zombie: after takeover the old owner can neither complete, renew nor release', async () => {
      const store = await setup();
      const key = freshKey();
      const zombie = token();
      const next = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: zombie, leaseMs: SHORT_MS });
      await h.advance(PAST_SHORT_MS);
      await expect(
        store.claim({ key, fingerprint: fp('b'), ownerToken: next, leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
      const zombieResponse = sampleResponse(Uint8Array.from([1, 2, 3]));
      await expect(
        store.complete({ key, ownerToken: zombie, response: zombieResponse, retentionMs: LONG_MS }),
      ).resolves.toBe(false);
      await expect(store.renew(key, zombie, LONG_MS)).resolves.toBe(false);
      await expect(store.release(key, zombie)).resolves.toBe(false);
      const seen = await store.claim({
        key,
        fingerprint: fp('c'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(seen).toMatchObject({ outcome: 'in_flight', fingerprint: fp('b') });
      await expect(
        store.complete({ key, ownerToken: next, response: sampleResponse(), retentionMs: LONG_MS }),
      ).resolves.toBe(true);
      const replay = await store.claim({
        key,
        fingerprint: fp('b'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      if (replay.outcome !== 'completed')
        throw new Error(`expected completed, got ${replay.outcome}`);
      expect(Buffer.from(replay.response.body).equals(Buffer.from(BINARY_BODY))).toBe(true);
    });

    it('a lapsed lease cannot be completed even before anyone takes over', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: SHORT_MS });
      await h.advance(PAST_SHORT_MS);
      await expect(
        store.complete({ key, ownerToken: a, response: sampleResponse(), retentionMs: LONG_MS }),
      ).resolves.toBe(false);
      await expect(
        store.claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
    });

    it('forgets a completed record once its retention has passed', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      await store.complete({
        key,
        ownerToken: a,
        response: sampleResponse(),
        retentionMs: SHORT_MS,
      });
      const early = await store.claim({
        key,
        fingerprint: fp('a'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(early.outcome).toBe('completed');
      await h.advance(PAST_SHORT_MS);
      await expect(
        store.claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
    });

    it('release frees the key for the next claim, once, and only for the owner', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      await expect(store.release(key, token())).resolves.toBe(false);
      await expect(store.release(key, a)).resolves.toBe(true);
      await expect(store.release(key, a)).resolves.toBe(false);
      await expect(
        store.claim({ key, fingerprint: fp('b'), ownerToken: token(), leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
    });

    it('renew extends the lease past its original end; others cannot renew it', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: 2_000 });
      await expect(store.renew(key, token(), LONG_MS)).resolves.toBe(false);
      await expect(store.renew(key, a, LONG_MS)).resolves.toBe(true);
      await h.advance(2_500);
      const seen = await store.claim({
        key,
        fingerprint: fp('b'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(seen.outcome).toBe('in_flight');
      if (seen.outcome === 'in_flight') expect(seen.leaseRemainingMs).toBeGreaterThan(10_000);
    });

    it('a completed record cannot be completed again, renewed or released', async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      await store.complete({
        key,
        ownerToken: a,
        response: sampleResponse(),
        retentionMs: LONG_MS,
      });
      const again = sampleResponse(Uint8Array.from([9]));
      await expect(
        store.complete({ key, ownerToken: a, response: again, retentionMs: LONG_MS }),
      ).resolves.toBe(false);
      await expect(store.renew(key, a, LONG_MS)).resolves.toBe(false);
      await expect(store.release(key, a)).resolves.toBe(false);
      const replay = await store.claim({
        key,
        fingerprint: fp('a'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(replay.outcome).toBe('completed');
    });

    it('50 concurrent claims of one key: exactly one is claimed', async () => {
      const store = await setup();
      const key = freshKey();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.claim({ key, fingerprint: fp(`f${i}`), ownerToken: token(), leaseMs: LONG_MS }),
        ),
      );
      const outcomes = results.map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'in_flight')).toHaveLength(49);
    });

    it('50 concurrent takeovers of one lapsed lease: exactly one wins', async () => {
      const store = await setup();
      const key = freshKey();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs: SHORT_MS });
      await h.advance(PAST_SHORT_MS);
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          store.claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs: LONG_MS }),
        ),
      );
      expect(results.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    });

    it("the application's clock has no effect: store time decides expiry", async () => {
      const store = await setup();
      const key = freshKey();
      const a = token();
      await store.claim({ key, fingerprint: fp('a'), ownerToken: a, leaseMs: LONG_MS });
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 2 * 24 * 3_600_000);
      const later = await store.claim({
        key,
        fingerprint: fp('a'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(later.outcome).toBe('in_flight');
      vi.setSystemTime(Date.now() - 4 * 24 * 3_600_000);
      await expect(store.renew(key, a, LONG_MS)).resolves.toBe(true);
      await expect(
        store.complete({ key, ownerToken: a, response: sampleResponse(), retentionMs: 1_000 * 60 }),
      ).resolves.toBe(true);
      vi.setSystemTime(Date.now() + 30 * 24 * 3_600_000);
      const replay = await store.claim({
        key,
        fingerprint: fp('a'),
        ownerToken: token(),
        leaseMs: LONG_MS,
      });
      expect(replay.outcome).toBe('completed');
    });

    it('rejects a zero, negative or fractional lease and writes nothing', async () => {
      const store = await setup();
      const key = freshKey();
      for (const leaseMs of [0, -5, 1.5, Number.NaN]) {
        const error = await store
          .claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs })
          .catch((e: unknown) => e);
        expect(isBulwarkError(error, 'BULWARK_INVALID_OPTIONS')).toBe(true);
      }
      await expect(
        store.claim({ key, fingerprint: fp('a'), ownerToken: token(), leaseMs: LONG_MS }),
      ).resolves.toEqual({ outcome: 'claimed' });
    });
  });
}
