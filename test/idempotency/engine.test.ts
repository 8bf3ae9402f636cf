import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createIdempotencyEngine,
  type IdempotencyEngine,
  type IdempotencyEngineOptions,
  type IdempotentRequest,
  type OperationResult,
} from '../../src/idempotency/index.js';
import { ErrorCode, isBulwarkError, MemoryStore } from '../../src/index.js';
import { FaultyStore } from './faulty-store.js';

const response = (text: string, status = 201) => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body: new TextEncoder().encode(text),
});
const result = (text: string, record = true): OperationResult => ({
  response: response(text),
  record,
});
const request = (fingerprint = 'fp-1') => ({ key: randomUUID(), fingerprint });

function setup(options: Partial<IdempotencyEngineOptions> = {}, clock?: () => number) {
  const store = new FaultyStore(new MemoryStore(clock ? { clock } : {}));
  const engine = createIdempotencyEngine({ store, ...options });
  let runs = 0;
  const run =
    (text = 'done', record = true) =>
    async (): Promise<OperationResult> => {
      runs += 1;
      return result(text, record);
    };
  return { store, engine, run, runs: () => runs };
}

const run0 = async (): Promise<OperationResult> => {
  throw new Error('must not run');
};

/**
 * Starts `engine.execute(req, …)` with an operation that stays in flight until
 * `finish` hands it its result: a slow handler, a zombie owner.
 */
function heldExecution(engine: IdempotencyEngine, req: IdempotentRequest) {
  let finish: (value: OperationResult) => void = () => {};
  const outcome = engine.execute(req, () => new Promise((resolve) => (finish = resolve)));
  return { outcome, finish: (value: OperationResult) => finish(value) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createIdempotencyEngine: the state machine over a MemoryStore', () => {
  it('runs once, records the response, then replays it without running again', async () => {
    const { engine, run, runs } = setup();
    const req = request();
    const first = await engine.execute(req, run('created'));
    expect(first).toMatchObject({ kind: 'executed', stored: true });
    const second = await engine.execute(req, run('again'));
    expect(second.kind).toBe('replayed');
    if (second.kind === 'replayed') {
      expect(new TextDecoder().decode(second.response.body)).toBe('created');
    }
    expect(runs()).toBe(1);
  });

  it('answers mismatch for the same key with another fingerprint, and runs nothing', async () => {
    const { engine, run, runs } = setup();
    const req = request('fp-a');
    await engine.execute(req, run());
    expect(await engine.execute({ ...req, fingerprint: 'fp-b' }, run())).toEqual({
      kind: 'mismatch',
    });
    expect(runs()).toBe(1);
  });

  it('answers in_flight while the original runs, whatever the fingerprint, with a short Retry-After', async () => {
    const { engine, run, runs } = setup();
    const req = request();
    let finish: ((value: OperationResult) => void) | undefined;
    const original = engine.execute(req, () => new Promise((resolve) => (finish = resolve)));
    await vi.waitFor(() => expect(finish).toBeDefined());
    for (const fingerprint of ['fp-1', 'fp-other']) {
      const outcome = await engine.execute({ ...req, fingerprint }, run());
      expect(outcome.kind).toBe('in_flight');
      if (outcome.kind === 'in_flight') {
        expect(outcome.retryAfterMs).toBeGreaterThan(0);
        expect(outcome.retryAfterMs).toBeLessThanOrEqual(1_000);
      }
    }
    finish?.(result('late'));
    await original;
    expect(runs()).toBe(0);
  });

  it('releases the key when the operation throws, so the retry runs', async () => {
    const { engine, run, runs } = setup();
    const req = request();
    const boom = new Error('handler failed');
    expect(await rejection(engine.execute(req, async () => Promise.reject(boom)))).toBe(boom);
    expect(await engine.execute(req, run())).toMatchObject({ kind: 'executed' });
    expect(runs()).toBe(1);
  });

  it('rethrows the operation error even when the release fails too', async () => {
    const { engine, store } = setup();
    store.faults.release = 'throw';
    const boom = new Error('handler failed');
    expect(await rejection(engine.execute(request(), async () => Promise.reject(boom)))).toBe(boom);
  });

  it('releases instead of recording when the operation says not to store', async () => {
    const { engine, run, runs } = setup();
    const req = request();
    expect(await engine.execute(req, run('503', false))).toMatchObject({
      kind: 'executed',
      stored: false,
    });
    expect(await engine.execute(req, run())).toMatchObject({ kind: 'executed', stored: true });
    expect(runs()).toBe(2);
  });
});

describe('createIdempotencyEngine over an exact MemoryStore (its settled run)', () => {
  const exact = () => {
    const store = new MemoryStore();
    return { store, engine: createIdempotencyEngine({ store }) };
  };

  it('records and replays, releases on a thrown, rejected or unrecorded answer, and owns each claim with its own token', async () => {
    const { engine } = exact();
    const req = request();
    const tokens = new Set<string>();
    const op =
      (answer: () => Promise<OperationResult>) =>
      (_signal: AbortSignal, claim: { ownerToken: string }) => {
        tokens.add(claim.ownerToken);
        return answer();
      };
    const boom = new Error('handler failed');
    const thrown = op(() => {
      throw boom;
    });
    expect(await rejection(engine.execute(req, thrown))).toBe(boom);
    expect(
      await rejection(
        engine.execute(
          req,
          op(() => Promise.reject(boom)),
        ),
      ),
    ).toBe(boom);
    const unrecorded = await engine.execute(
      req,
      op(async () => result('503', false)),
    );
    expect(unrecorded).toMatchObject({ kind: 'executed', stored: false });
    const first = await engine.execute(
      req,
      op(async () => result('created')),
    );
    expect(first).toMatchObject({ kind: 'executed', stored: true });
    const replay = await engine.execute(req, run0);
    expect(replay.kind === 'replayed' && new TextDecoder().decode(replay.response.body)).toBe(
      'created',
    );
    expect(tokens.size).toBe(4);
  });

  it('answers as the operation said even when the release after it fails', async () => {
    let broken = false;
    const store = new MemoryStore({
      clock: () => {
        if (broken) throw new Error('clock broke');
        return 0;
      },
    });
    const engine = createIdempotencyEngine({ store });
    const boom = new Error('handler failed');
    const failing = async () => {
      broken = true;
      throw boom;
    };
    expect(await rejection(engine.execute(request(), failing))).toBe(boom);
    broken = false;
    const unrecorded = async () => {
      broken = true;
      return result('503', false);
    };
    expect(await engine.execute(request(), unrecorded)).toMatchObject({
      kind: 'executed',
      stored: false,
    });
  });

  it('rejects, never throws, on a request it cannot read', async () => {
    const { engine } = exact();
    const unreadable = undefined as unknown as { key: string; fingerprint: string };
    const outcome = engine.execute(unreadable, run0);
    expect(await rejection(outcome)).toBeInstanceOf(TypeError);
  });

  it('accepts an operation that answers a bare result (plain JavaScript), as an await would', async () => {
    const { engine } = exact();
    const bare = (() => result('bare')) as unknown as () => Promise<OperationResult>;
    expect(await engine.execute(request(), bare)).toMatchObject({ kind: 'executed', stored: true });
  });

  it('calls a method replaced on the instance, and awaits it', async () => {
    const { store, engine } = exact();
    let releases = 0;
    store.release = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      releases += 1;
      return true;
    };
    await rejection(engine.execute(request(), async () => Promise.reject(new Error('x'))));
    expect(releases).toBe(1);
  });
});

describe('createIdempotencyEngine: completion inside the operation (transactional mode)', () => {
  it('hands the operation its claim: the key, a fresh owner token and the retention', async () => {
    const { engine } = setup({ retentionMs: 5_000 });
    const req = request();
    const seen: unknown[] = [];
    const op = async (_signal: AbortSignal, claim: unknown): Promise<OperationResult> => {
      seen.push(claim);
      return result('x', false);
    };
    await engine.execute(req, op);
    await engine.execute(req, op);
    expect(seen[0]).toEqual({
      key: req.key,
      ownerToken: expect.any(String),
      retentionMs: 5_000,
      operationId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
    });
    expect((seen[0] as { ownerToken: string }).ownerToken).not.toBe(
      (seen[1] as { ownerToken: string }).ownerToken,
    );
  });

  it('completedInTransaction: the engine records nothing more, and the retry replays what the operation stored', async () => {
    const { engine, store } = setup();
    const req = request();
    const first = await engine.execute(req, async (_signal, claim) => {
      const stored = response('committed');
      // What withIdempotentTransaction does inside the business transaction: a fenced complete.
      expect(await store.complete({ ...claim, response: stored })).toBe(true);
      return { response: stored, record: true, completedInTransaction: true };
    });
    expect(first).toMatchObject({ kind: 'executed', stored: true });
    expect(store.calls.complete).toBe(1);
    expect(store.calls.release).toBe(0);
    const replay = await engine.execute(req, async () => {
      throw new Error('must not run again');
    });
    expect(replay.kind).toBe('replayed');
    if (replay.kind === 'replayed') {
      expect(new TextDecoder().decode(replay.response.body)).toBe('committed');
    }
  });

  it('a completion fenced on another token fails, and the key stays with its owner', async () => {
    const { engine, store } = setup();
    const req = request();
    const outcome = await engine.execute(req, async (_signal, claim) => {
      const forged = { ...claim, ownerToken: randomUUID(), response: response('forged') };
      expect(await store.complete(forged)).toBe(false);
      return result('real');
    });
    expect(outcome).toMatchObject({ kind: 'executed', stored: true });
    const replay = await engine.execute(req, run0);
    expect(replay.kind === 'replayed' && new TextDecoder().decode(replay.response.body)).toBe(
      'real',
    );
  });
});

describe('createIdempotencyEngine: a failing store', () => {
  it('fails closed on a MemoryStore that throws: STORE_UNAVAILABLE with a Retry-After, nothing runs', async () => {
    // A MemoryStore's calls are not bounded in time (they settle at once), but
    // their failures must still read as an unavailable store, never as a handler error.
    const store = new MemoryStore({
      clock: () => {
        throw new Error('clock broke');
      },
    });
    const engine = createIdempotencyEngine({ store, storeRetryAfterMs: 1_500 });
    let ran = false;
    const error = await rejection(
      engine.execute(request(), async () => {
        ran = true;
        return result('never');
      }),
    );
    expect(isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable)).toBe(true);
    expect(isBulwarkError(error) && error.retryAfterMs).toBe(1_500);
    expect(ran).toBe(false);
  });

  it.each(['throw', 'hang'] as const)(
    'fails closed when the claim does %s: STORE_UNAVAILABLE, the operation never runs',
    async (fault) => {
      const { engine, store, run, runs } = setup({ storeTimeoutMs: 50, storeRetryAfterMs: 2_000 });
      store.faults.claim = fault;
      const error = await rejection(engine.execute(request(), run()));
      expect(isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable)).toBe(true);
      expect((error as { retryAfterMs?: number }).retryAfterMs).toBe(2_000);
      expect(runs()).toBe(0);
    },
  );

  it('hands back a claim that timed out but landed, so the key is not locked for a lease', async () => {
    const { engine, store, run, runs } = setup({ storeTimeoutMs: 50, leaseMs: 60_000 });
    store.faults.claim = 'late';
    const req = request();
    const error = await rejection(engine.execute(req, run()));
    expect(isBulwarkError(error, ErrorCode.IdempotencyStoreUnavailable)).toBe(true);
    store.faults.claim = undefined;
    await vi.waitFor(() => expect(store.calls.release).toBe(1));
    expect(await engine.execute(req, run())).toMatchObject({ kind: 'executed' });
    expect(runs()).toBe(1);
  });

  it.each(['throw', 'hang'] as const)(
    'when completion does %s after success: OUTCOME_UNKNOWN, and the key stays locked',
    async (fault) => {
      const { engine, store, run, runs } = setup({ storeTimeoutMs: 50, leaseMs: 60_000 });
      store.faults.complete = fault;
      const req = request();
      const error = await rejection(engine.execute(req, run('charged')));
      expect(isBulwarkError(error, ErrorCode.IdempotencyOutcomeUnknown)).toBe(true);
      expect(store.calls.release).toBe(0);
      expect(await engine.execute(req, run())).toMatchObject({ kind: 'in_flight' });
      expect(runs()).toBe(1);
    },
  );

  it('records the outcome in the background once the store is back, so the retry replays', async () => {
    const { engine, store, run, runs } = setup({ leaseMs: 10_000, renewIntervalMs: 50 });
    store.faults.complete = 'throw';
    const req = request();
    await rejection(engine.execute(req, run('charged')));
    store.faults.complete = undefined;
    await vi.waitFor(async () => {
      const outcome = await engine.execute(req, run());
      expect(outcome.kind).toBe('replayed');
    });
    expect(runs()).toBe(1);
  });
});

/**
 * Fakes every clock a lease runs on: renewals are slots on the shared timer
 * wheel (an interval reading `performance.now()`), store-call bounds too,
 * and the stores here read `Date.now()`.
 */
function useLeaseTimers(): void {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
  });
}

describe('createIdempotencyEngine: leases', () => {
  it('renews the lease while a slow operation runs, and stops renewing after it', async () => {
    useLeaseTimers();
    const { engine, store, run, runs } = setup({ leaseMs: 30_000 }, () => Date.now());
    const req = request();
    const { outcome: original, finish } = heldExecution(engine, req);
    await vi.advanceTimersByTimeAsync(120_000); // four leases long
    expect(await engine.execute(req, run())).toMatchObject({ kind: 'in_flight' });
    expect(store.calls.renew).toBeGreaterThanOrEqual(4);
    finish(result('slow but done'));
    expect(await original).toMatchObject({ kind: 'executed', stored: true });
    const renewals = store.calls.renew;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(store.calls.renew).toBe(renewals);
    expect(vi.getTimerCount()).toBe(0);
    expect(runs()).toBe(0);
  });

  it('lets another worker take over a lapsed lease and fences the zombie out', async () => {
    useLeaseTimers();
    const { engine, store, run } = setup({ leaseMs: 1_000 }, () => Date.now());
    store.faults.renew = 'throw'; // A cannot reach the store to renew
    const req = request();
    let finishA: (value: OperationResult) => void = () => {};
    let signalA: AbortSignal | undefined;
    const a = engine.execute(req, (signal) => {
      signalA = signal;
      return new Promise((resolve) => (finishA = resolve));
    });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await engine.execute(req, run('from B'))).toMatchObject({
      kind: 'executed',
      stored: true,
    });
    finishA(result('from A'));
    const error = await rejection(a);
    expect(isBulwarkError(error, ErrorCode.IdempotencyLeaseLost)).toBe(true);
    const replay = await engine.execute(req, run());
    expect(replay.kind).toBe('replayed');
    if (replay.kind === 'replayed')
      expect(new TextDecoder().decode(replay.response.body)).toBe('from B');
    expect(signalA?.aborted).toBe(false);
  });

  it('aborts the operation signal once a renewal is fenced out', async () => {
    useLeaseTimers();
    const { engine, store } = setup({ leaseMs: 3_000 }, () => Date.now());
    store.faults.renew = 'fenced';
    let seen: unknown;
    const outcome = engine.execute(
      request(),
      (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            seen = signal.reason;
            resolve(result('stopped'));
          });
        }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(isBulwarkError(seen, ErrorCode.IdempotencyLeaseLost)).toBe(true);
    // The record is still ours in the inner store, so the completion itself succeeds.
    expect(await outcome).toMatchObject({ kind: 'executed' });
  });

  it('ignores the application clock: store time alone decides expiry', async () => {
    // A retention of 10 s against wall-clock jumps of an hour: a store or an
    // engine that read Date.now() would expire the record (or keep a lease) here.
    vi.useFakeTimers({ toFake: ['Date'] });
    const { engine, run, runs } = setup({ retentionMs: 10_000 });
    const req = request();
    await engine.execute(req, run());
    vi.setSystemTime(Date.now() + 60 * 60_000);
    expect((await engine.execute(req, run())).kind).toBe('replayed');
    vi.setSystemTime(Date.now() - 2 * 60 * 60_000);
    expect((await engine.execute(req, run())).kind).toBe('replayed');
    expect(runs()).toBe(1);
  });

  it('starts over after the retention (store clock), and replays until then', async () => {
    let now = 0;
    const { engine, run, runs } = setup({ retentionMs: 10_000 }, () => now);
    const req = request();
    await engine.execute(req, run());
    now = 9_999;
    expect((await engine.execute(req, run())).kind).toBe('replayed');
    now = 10_001;
    expect((await engine.execute(req, run())).kind).toBe('executed');
    expect(runs()).toBe(2);
  });
});

describe('createIdempotencyEngine: an exact MemoryStore (completed through the lease its claim holds)', () => {
  function direct() {
    let now = 0;
    const store = new MemoryStore({ clock: () => now });
    const engine = createIdempotencyEngine({ store, leaseMs: 1_000 });
    const advance = (ms: number): void => {
      now += ms;
    };
    return { engine, advance };
  }

  it('fences out an owner whose lapsed lease another owner took over and completed', async () => {
    const { engine, advance } = direct();
    const req = request();
    const { outcome: a, finish: finishA } = heldExecution(engine, req);
    await Promise.resolve();
    advance(1_500);
    expect(await engine.execute(req, async () => result('from B'))).toMatchObject({
      kind: 'executed',
      stored: true,
    });
    finishA(result('from A'));
    expect(isBulwarkError(await rejection(a), ErrorCode.IdempotencyLeaseLost)).toBe(true);
    const replay = await engine.execute(req, run0);
    if (replay.kind !== 'replayed') throw new Error(`expected a replay, got ${replay.kind}`);
    expect(new TextDecoder().decode(replay.response.body)).toBe('from B');
  });

  it('refuses to complete a lapsed lease nobody took over, and one taken over and released', async () => {
    const { engine, advance } = direct();
    const req = request();
    const { outcome: a, finish: finishA } = heldExecution(engine, req);
    await Promise.resolve();
    advance(1_500);
    finishA(result('from A'));
    expect(isBulwarkError(await rejection(a), ErrorCode.IdempotencyLeaseLost)).toBe(true);

    const { outcome: c, finish: finishC } = heldExecution(engine, req);
    await Promise.resolve();
    advance(1_500);
    // D takes the lapsed lease over and releases it (its answer is not recorded): the key is free.
    expect(await engine.execute(req, async () => result('from D', false))).toMatchObject({
      stored: false,
    });
    finishC(result('from C'));
    expect(isBulwarkError(await rejection(c), ErrorCode.IdempotencyLeaseLost)).toBe(true);
    expect(await engine.execute(req, async () => result('from E'))).toMatchObject({
      kind: 'executed',
      stored: true,
    });
  });
});

describe('createIdempotencyEngine: options', () => {
  const store = new MemoryStore();
  it.each([
    [{}, 'store'],
    [{ store: {} }, 'store'],
    [{ store, leaseMs: 0 }, 'leaseMs'],
    [{ store, leaseMs: 1.5 }, 'leaseMs'],
    [{ store, retentionMs: -1 }, 'retentionMs'],
    [{ store, leaseMs: 1_000, renewIntervalMs: 1_000 }, 'renewIntervalMs'],
    [{ store, leaseMs: 1_000, storeTimeoutMs: 5_000 }, 'storeTimeoutMs'],
  ])('refuses %j, naming "%s"', (options, field) => {
    expect(() => createIdempotencyEngine(options as IdempotencyEngineOptions)).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidOptions,
        message: expect.stringContaining(`"${field}"`),
      }),
    );
  });

  it('applies the documented defaults', () => {
    expect(createIdempotencyEngine({ store }).options).toMatchObject({
      leaseMs: 30_000,
      renewIntervalMs: 10_000,
      retentionMs: 86_400_000,
      storeTimeoutMs: 2_000,
    });
  });
});
