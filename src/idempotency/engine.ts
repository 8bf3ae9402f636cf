import { randomUUID } from 'node:crypto';
import { BulwarkError, ErrorCode } from '../errors.js';
import { getTenant } from '../tenant/context.js';
import {
  type IdempotencyEngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
} from './engine-options.js';
import { MemoryStore, type SettledMemoryCalls, settledMemoryCalls } from './memory-store.js';
import { type Operation, operationFor, runInOperation } from './operation.js';
import { tallyError, tallyOutcome } from './outcomes.js';
import type { ClaimResult, StoredResponse } from './store.js';
import {
  boundedStoreCall,
  type LeaseRenewal,
  type LeaseRenewalSettings,
  settledStoreCall,
  startLeaseRenewal,
  storeUnavailable,
} from './store-calls.js';

/*
 * The engine's state machine: claim → run → record → answer. Longer than most
 * files, as a state machine may be: it runs the same steps twice over, once
 * synchronously for an exact MemoryStore (`runSettled`) and once awaited for
 * every other store (`runAwaited`), both built from the step functions below.
 */

/** One idempotent request as the engine sees it (see `idempotencyStorageKey`, `requestFingerprint`). */
export interface IdempotentRequest {
  /** The storage key: scope and client key, hashed. */
  readonly key: string;
  /** The request's fingerprint. */
  readonly fingerprint: string;
}

/**
 * The claim an operation runs under: what a transactional completion needs to
 * fence on (`withIdempotentTransaction(store, claim, work)` in `bulwark/postgres`).
 */
export interface IdempotencyClaim {
  /** The storage key that was claimed. */
  readonly key: string;
  /** The owner token of this claim; every completion must be fenced on it. */
  readonly ownerToken: string;
  /** How long a completed response is kept for replay, in milliseconds (the engine's `retentionMs`). */
  readonly retentionMs: number;
  /** The operation's id: `getOperation().id`, the same in every execution of this key. */
  readonly operationId: string;
}

/** What the operation produced, and whether it may be replayed later. */
export interface OperationResult {
  /** The response to record (and to send); with `completedInTransaction`, the one already recorded. */
  readonly response: StoredResponse;
  /**
   * True to record the response for replay. False releases the key instead,
   * so the next retry runs again (a retryable status, a streamed response).
   */
  readonly record: boolean;
  /**
   * True when the operation already completed the record itself, fenced on
   * `claim.ownerToken`, in the same transaction as its side effects; the
   * engine then neither completes nor releases (a second fenced completion
   * would fail). `response` must be the response that was committed. Default false.
   */
  readonly completedInTransaction?: boolean;
}

/** How {@link IdempotencyEngine.execute} ended, when it did not throw. */
export type ExecutionOutcome =
  /** The operation ran now; `stored` says whether its response was recorded (before this resolved). */
  | { readonly kind: 'executed'; readonly response: StoredResponse; readonly stored: boolean }
  /** A completed record with the same fingerprint: replay `response`; nothing ran. */
  | { readonly kind: 'replayed'; readonly response: StoredResponse }
  /** Another owner is running the same key; retry after `retryAfterMs`. Nothing ran. */
  | { readonly kind: 'in_flight'; readonly retryAfterMs: number }
  /** The key was used before with a different request. Nothing ran. */
  | { readonly kind: 'mismatch' };

/**
 * The engine's operation: gets a signal that aborts when the lease is lost,
 * and the claim it runs under (for completing in its own transaction).
 */
export type IdempotentOperation = (
  signal: AbortSignal,
  claim: IdempotencyClaim,
) => Promise<OperationResult>;

/** The framework-free idempotency state machine. */
export interface IdempotencyEngine {
  /**
   * Claims `request.key`; if claimed, runs `operation` while renewing the
   * lease, then records its response BEFORE resolving, so a caller that sends
   * only what this returns never sends an unrecorded response.
   *
   * Throws `BulwarkError`:
   * - `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE` when the claim fails or times
   *   out; the operation never ran (a claim that lands late is released).
   * - `BULWARK_IDEMPOTENCY_OUTCOME_UNKNOWN` when the operation succeeded but its
   *   response could not be recorded; the key stays locked (no release) and
   *   recording is retried in the background until the lease would expire.
   * - `BULWARK_IDEMPOTENCY_LEASE_LOST` when another owner took the key over
   *   before completion (the operation ran; its response was not recorded).
   * - whatever `operation` threw, after releasing the key so a retry can run.
   *
   * An operation that returns `completedInTransaction: true` recorded its
   * response itself (see {@link OperationResult}); the engine trusts that.
   */
  execute(request: IdempotentRequest, operation: IdempotentOperation): Promise<ExecutionOutcome>;
  /** The resolved options (defaults applied). */
  readonly options: Readonly<ResolvedEngineOptions>;
}

/**
 * The claim of {@link executeLean}: its `operationId` read through from the
 * operation, so the id is derived only when someone asks (see `operationFor`).
 */
class OperationClaim implements IdempotencyClaim {
  readonly #operation: Operation;

  constructor(
    readonly key: string,
    readonly ownerToken: string,
    readonly retentionMs: number,
    operation: Operation,
  ) {
    this.#operation = operation;
  }

  get operationId(): string {
    return this.#operation.id;
  }
}

/** Most time an in-flight answer asks the client to wait: the original usually ends well before its lease. */
const CONFLICT_RETRY_AFTER_MS = 1_000;

/**
 * Creates the idempotency engine over a store: claim → run → persist → respond.
 * Options are validated here (`BULWARK_INVALID_OPTIONS`).
 *
 * @example
 * const engine = createIdempotencyEngine({ store: new MemoryStore() });
 * const result = await engine.execute({ key, fingerprint }, async () => ({
 *   response: { status: 201, headers: {}, body: new Uint8Array() },
 *   record: true,
 * }));
 */
export function createIdempotencyEngine(options: IdempotencyEngineOptions): IdempotencyEngine {
  const resolved = resolveEngineOptions(options);
  const { store, leaseMs, retentionMs, renewIntervalMs, storeRetryAfterMs } = resolved;
  // An exact MemoryStore settles every call before returning it: bounding it in
  // time would only cost (see settledStoreCall). A subclass or a wrapper may
  // not, so it is bounded like any other store.
  const settles = Object.getPrototypeOf(store) === MemoryStore.prototype;
  // Its claim, completion and release are even called without their promise (see
  // settledMemoryCalls), unless a method was replaced on the instance (a test's
  // broken store): then the store is called through its promises.
  const settled = settles ? settledMemoryCalls : undefined;
  const call = settles
    ? <T>(_operation: string, fn: () => Promise<T>): Promise<T> => settledStoreCall(fn)
    : <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
        boundedStoreCall(operation, fn, resolved.storeTimeoutMs, storeRetryAfterMs);
  const renewal: LeaseRenewalSettings = { store, leaseMs, renewIntervalMs, call };

  function run(
    request: IdempotentRequest,
    operation: AnyOperation,
    lean: boolean,
    listener: RunListener,
  ): void {
    if (settled === undefined || !isPristine(store as MemoryStore)) {
      runAwaited(request, operation, lean).then(
        (outcome) => listener.ended(outcome),
        (error: unknown) => listener.failed(error),
      );
      return;
    }
    try {
      runSettled(settled, store as MemoryStore, request, operation, lean, listener);
    } catch (error) {
      // Thrown before anything was told (each telling ends runSettled): told once, now.
      hearLater(listener, undefined, error);
    }
  }

  /**
   * The exact MemoryStore's run: every store call answered in place, and no
   * promise of its own: the operation tells a sink how it ended, and the
   * response is recorded, and `listener` told, right there. An async function
   * would make its own promise and one per await, each tracked by every
   * AsyncLocalStorage of the process (`benchmarks/profile/in-process.mjs
   * --count`, the Express and Fastify adapters' MemoryStore default). For the
   * HTTP adapters (`lean`) that is where the handler's answer is held, so the
   * adapter may send it in the same step (Express does, inside the handler's
   * `res.end()`). The same steps as {@link runAwaited}; `listener` hears
   * exactly once.
   */
  function runSettled(
    memory: SettledMemoryCalls,
    target: MemoryStore,
    request: IdempotentRequest,
    operation: AnyOperation,
    lean: boolean,
    listener: RunListener,
  ): void {
    const { key, fingerprint } = request;
    const ownerToken = memory.ownerToken();
    const tenantId = getTenant()?.tenantId;
    let claim: ClaimResult;
    try {
      claim = memory.claim(target, key, fingerprint, ownerToken, leaseMs, tenantId);
    } catch (error) {
      const failure = claimFailed(resolved, error, () => memory.release(target, key, ownerToken));
      hearLater(listener, undefined, failure);
      return;
    }
    if (claim.outcome !== 'claimed') {
      hearLater(listener, answerOfClaim(claim, fingerprint), undefined);
      return;
    }
    const claimed = claim;
    const lease = startLeaseRenewal(renewal, key, ownerToken);
    let told = false;
    const sink: OperationSink = {
      succeeded(result) {
        if (told) return;
        told = true;
        lease.stop();
        let outcome: ExecutionOutcome;
        try {
          outcome = recordSettled(memory, target, key, ownerToken, result, claimed);
        } catch (error) {
          listener.failed(error);
          return;
        }
        listener.ended(outcome);
      },
      failed(error) {
        if (told) return;
        told = true;
        lease.stop();
        releaseQuietly(memory, target, key, ownerToken);
        listener.failed(tallyError(error));
      },
    };
    startOperation(key, ownerToken, tenantId, retentionMs, lease, operation, lean, sink);
  }

  /** The settled run's end of a claimed run: records `result` (or releases the key); throws as {@link runAwaited} would. */
  function recordSettled(
    memory: SettledMemoryCalls,
    target: MemoryStore,
    key: string,
    ownerToken: string,
    result: OperationResult,
    claim: ClaimResult,
  ): ExecutionOutcome {
    if (result.completedInTransaction === true) return executed(result, true);
    if (!result.record) {
      releaseQuietly(memory, target, key, ownerToken);
      return executed(result, false);
    }
    const { response } = result;
    let completed: boolean;
    try {
      completed = memory.complete(target, key, ownerToken, response, retentionMs, claim);
    } catch (error) {
      throw outcomeUnknown(resolved, error, () =>
        target.complete({ key, ownerToken, response, retentionMs }),
      );
    }
    if (!completed) throw leaseLost();
    return executed(result, true);
  }

  /** Every other store's run: each store call awaited, and bounded in time unless the store settles. */
  async function runAwaited(
    request: IdempotentRequest,
    operation: AnyOperation,
    lean: boolean,
  ): Promise<ExecutionOutcome> {
    const { key, fingerprint } = request;
    const ownerToken = randomUUID();
    // The tenant rides along so a store can share its capacity fairly (MemoryStore does).
    const tenantId = getTenant()?.tenantId;
    const claimRequest = { key, fingerprint, ownerToken, leaseMs, tenantId };
    let claim: ClaimResult;
    try {
      claim = await call('claim', () => store.claim(claimRequest));
    } catch (error) {
      // A claim that timed out may still land in the store and lock the key for a
      // whole lease; nothing ran under this token, so hand it back (fenced, best effort).
      throw claimFailed(resolved, error, () =>
        call('release', () => store.release(key, ownerToken)),
      );
    }
    if (claim.outcome !== 'claimed') return answerOfClaim(claim, fingerprint);

    const lease = startLeaseRenewal(renewal, key, ownerToken);
    let result: OperationResult;
    try {
      result = await new Promise<OperationResult>((succeeded, failed) => {
        const sink = { succeeded, failed };
        startOperation(key, ownerToken, tenantId, retentionMs, lease, operation, lean, sink);
      });
    } catch (error) {
      lease.stop();
      await call('release', () => store.release(key, ownerToken)).catch(() => false);
      throw tallyError(error);
    }
    lease.stop();

    if (result.completedInTransaction === true) return executed(result, true);
    if (!result.record) {
      await call('release', () => store.release(key, ownerToken)).catch(() => false);
      return executed(result, false);
    }
    const completeRequest = { key, ownerToken, response: result.response, retentionMs };
    let completed: boolean;
    try {
      completed = await call('complete', () => store.complete(completeRequest));
    } catch (error) {
      throw outcomeUnknown(resolved, error, () => store.complete(completeRequest));
    }
    if (!completed) throw leaseLost();
    return executed(result, true);
  }

  const execute = (request: IdempotentRequest, operation: IdempotentOperation) =>
    new Promise<ExecutionOutcome>((resolve, reject) => {
      run(request, operation, false, { ended: resolve, failed: reject });
    });
  const engine: LeanEngine = { execute, options: resolved, [LEAN_RUN]: run };
  return engine;
}

/** Whether none of the methods the settled run bypasses was replaced on the instance. */
function isPristine(store: MemoryStore): boolean {
  const prototype = MemoryStore.prototype;
  return (
    store.claim === prototype.claim &&
    store.complete === prototype.complete &&
    store.release === prototype.release
  );
}

/** Hands the key back, best effort, as the awaited run's `.catch(() => false)` does. */
function releaseQuietly(
  memory: SettledMemoryCalls,
  target: MemoryStore,
  key: string,
  ownerToken: string,
): void {
  try {
    memory.release(target, key, ownerToken);
  } catch {
    // The key stays locked until its lease ends; the request's own answer stands.
  }
}

/** A claim that did not claim, as the outcome it ends the request with (counted). */
function answerOfClaim(
  claim: Exclude<ClaimResult, { outcome: 'claimed' }>,
  fingerprint: string,
): ExecutionOutcome {
  if (claim.outcome === 'in_flight') {
    const retryAfterMs = Math.min(Math.max(claim.leaseRemainingMs, 1), CONFLICT_RETRY_AFTER_MS);
    return tallyOutcome({ kind: 'in_flight', retryAfterMs });
  }
  return tallyOutcome(
    claim.fingerprint === fingerprint
      ? { kind: 'replayed', response: claim.response }
      : { kind: 'mismatch' },
  );
}

/**
 * Runs the operation inside its identity, under its claim, and tells `sink`
 * how it ended (a synchronous throw included). A lean operation tells the
 * sink itself; `execute`'s returns a promise, which is followed here.
 */
function startOperation(
  key: string,
  ownerToken: string,
  tenantId: string | undefined,
  retentionMs: number,
  lease: LeaseRenewal,
  operation: AnyOperation,
  lean: boolean,
  sink: OperationSink,
): void {
  try {
    // The operation's identity comes from the storage key alone, so every
    // execution of this key (a re-run, a takeover, another process) sees the same one.
    const identity = operationFor(key, tenantId);
    if (lean) {
      const claim = new OperationClaim(key, ownerToken, retentionMs, identity);
      runInOperation(identity, operation as LeanOperation, claim, sink);
      return;
    }
    const claim = { key, ownerToken, retentionMs, operationId: identity.id };
    // Reading `lease.signal` makes Node build the AbortSignal: only for an operation that takes it.
    const answered = runInOperation(
      identity,
      operation as IdempotentOperation,
      lease.signal,
      claim,
    );
    // Promise.resolve: an operation written in plain JavaScript may answer a
    // bare result, which `await` accepted too.
    Promise.resolve(answered).then(
      (result) => sink.succeeded(result),
      (error: unknown) => sink.failed(error),
    );
  } catch (error) {
    sink.failed(error);
  }
}

/** The operation's answer as the outcome `executed` (counted). */
function executed(result: OperationResult, stored: boolean): ExecutionOutcome {
  return tallyOutcome({ kind: 'executed', response: result.response, stored });
}

/**
 * The error a failed claim ends the request with (counted), after handing the
 * key back: a claim that timed out may still land in the store and lock the
 * key for a whole lease, and nothing ran under its token (fenced, best effort).
 */
function claimFailed(
  options: ResolvedEngineOptions,
  error: unknown,
  release: () => unknown,
): unknown {
  try {
    const released = release();
    if (released instanceof Promise) released.catch(() => false);
  } catch {
    // Best effort: the claim's own failure is what the caller hears of.
  }
  return tallyError(storeUnavailable(error, 'claim', options.storeRetryAfterMs));
}

/** The error of an operation that ran but whose completion failed (counted); retries it meanwhile. */
function outcomeUnknown(
  options: ResolvedEngineOptions,
  error: unknown,
  complete: () => Promise<boolean>,
): unknown {
  retryCompletionInBackground(complete, options);
  return tallyError(
    new BulwarkError(
      ErrorCode.IdempotencyOutcomeUnknown,
      'the operation ran but its outcome could not be recorded; retry with the same key',
      {
        cause: storeUnavailable(error, 'complete', options.storeRetryAfterMs),
        retryAfterMs: options.leaseMs,
      },
    ),
  );
}

/** The error of an operation that ran but was fenced out at completion (counted). */
function leaseLost(): unknown {
  return tallyError(
    new BulwarkError(
      ErrorCode.IdempotencyLeaseLost,
      'the operation ran but another owner took the key over before its outcome was recorded',
      { retryAfterMs: CONFLICT_RETRY_AFTER_MS },
    ),
  );
}

/**
 * How an operation of {@link executeLean} ends, told rather than returned as
 * a promise: exactly one of the two; a second telling is ignored.
 */
export interface OperationSink {
  /** The operation produced `result` (to record, or not, as it says). */
  succeeded(result: OperationResult): void;
  /** The operation failed with `error`: the key is released, so a retry runs again. */
  failed(error: unknown): void;
}

/**
 * An operation of {@link executeLean}: runs under `claim` and tells `sink`
 * how it ended, whenever that is (a throw before telling counts as failing).
 */
export type LeanOperation = (claim: IdempotencyClaim, sink: OperationSink) => void;

/** Either kind of operation, told apart by the run's `lean` flag. */
type AnyOperation = LeanOperation | IdempotentOperation;

const LEAN_RUN = Symbol('bulwark.engine.leanRun');
interface LeanEngine extends IdempotencyEngine {
  readonly [LEAN_RUN]?: (
    request: IdempotentRequest,
    operation: AnyOperation,
    lean: boolean,
    listener: RunListener,
  ) => void;
}

/**
 * Who hears how one run of the engine ended, instead of a promise: exactly
 * one of the two, once. A listener must not throw.
 */
export interface RunListener {
  /** The run ended with `outcome` (the one `execute` resolves with). */
  ended(outcome: ExecutionOutcome): void;
  /** The run failed with `error` (the one `execute` rejects with). */
  failed(error: unknown): void;
}

/** Tells `listener` in a microtask, as a promise's reaction would: never while the caller still runs. */
function hearLater(
  listener: RunListener,
  outcome: ExecutionOutcome | undefined,
  error: unknown,
): void {
  queueMicrotask(() => {
    if (outcome === undefined) listener.failed(error);
    else listener.ended(outcome);
  });
}

/**
 * `engine.execute(request, operation)` for the HTTP adapters, without what
 * they never read, built on every request (`benchmarks/profile/in-process.mjs
 * --alloc`): no lease signal (a handler is never aborted; a lost lease shows
 * at completion), where Node makes an AbortSignal, an EventTarget, the first
 * time a controller's `signal` is read; a claim whose `operationId` is read
 * through from the operation, derived only when someone asks (the adapter
 * hands the handler a claim of its own, see `idempotencyClaim`); and no
 * promise of its own: `listener` hears how the run ended, on a MemoryStore in
 * the same step that recorded the response (see `runSettled`).
 */
export function executeLean(
  engine: IdempotencyEngine,
  request: IdempotentRequest,
  operation: LeanOperation,
  listener: RunListener,
): void {
  const run = (engine as LeanEngine)[LEAN_RUN];
  if (run !== undefined) {
    run(request, operation, true, listener);
    return;
  }
  // Another engine: its `execute`, with the operation's telling as a promise.
  const promised: IdempotentOperation = (_signal, claim) =>
    new Promise((succeeded, failed) => operation(claim, { succeeded, failed }));
  engine.execute(request, promised).then(
    (outcome) => listener.ended(outcome),
    (error: unknown) => listener.failed(error),
  );
}

/**
 * After a failed completion the key is still ours until the lease expires.
 * Retrying the (fenced) completion a few times within that window turns a
 * brief store hiccup into a normal replay for the client's retry, instead of
 * a second execution once the lease lapses. Timers are unref'd.
 */
function retryCompletionInBackground(
  complete: () => Promise<boolean>,
  options: ResolvedEngineOptions,
): void {
  let attemptsLeft = Math.max(1, Math.floor(options.leaseMs / options.renewIntervalMs) - 1);
  const attempt = (): void => {
    const timer = setTimeout(() => {
      boundedStoreCall(
        'complete',
        complete,
        options.storeTimeoutMs,
        options.storeRetryAfterMs,
      ).then(
        () => undefined, // recorded, or fenced out by a new owner: either way, stop
        () => {
          attemptsLeft -= 1;
          if (attemptsLeft > 0) attempt();
        },
      );
    }, options.renewIntervalMs);
    timer.unref();
  };
  attempt();
}
