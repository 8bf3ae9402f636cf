import { randomUUID } from 'node:crypto';
import { BulwarkError, ErrorCode } from '../errors.js';
import { getTenant } from '../tenant/context.js';
import {
  type IdempotencyEngineOptions,
  type ResolvedEngineOptions,
  resolveEngineOptions,
} from './engine-options.js';
import { MemoryStore, settledMemoryCalls } from './memory-store.js';
import { type Operation, operationFor, runInOperation } from './operation.js';
import { tallyError, tallyOutcome } from './outcomes.js';
import type { ClaimResult, StoredResponse } from './store.js';
import {
  boundedStoreCall,
  settledStoreCall,
  startLeaseRenewal,
  storeUnavailable,
} from './store-calls.js';

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
  const { store, leaseMs, retentionMs } = resolved;
  // An exact MemoryStore settles every call before returning it: bounding it in
  // time would only cost (see settledStoreCall). A subclass or a wrapper may
  // not, so it is bounded like any other store.
  const settles = Object.getPrototypeOf(store) === MemoryStore.prototype;
  // Its claim and completion are even called without their promise (see settledMemoryCalls),
  // unless a method was replaced on the instance (a test's broken store): that one is called.
  const settled = settles ? settledMemoryCalls : undefined;
  const call = settles
    ? <T>(_operation: string, fn: () => Promise<T>): Promise<T> => settledStoreCall(fn)
    : <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
        boundedStoreCall(operation, fn, resolved.storeTimeoutMs, resolved.storeRetryAfterMs);

  async function run(
    request: IdempotentRequest,
    operation: SignalOptionalOperation,
    lean: boolean,
  ): Promise<ExecutionOutcome> {
    const { key, fingerprint } = request;
    const ownerToken = randomUUID();
    // The tenant rides along so a store can share its capacity fairly (MemoryStore does).
    const tenantId = getTenant()?.tenantId;
    const claimRequest = { key, fingerprint, ownerToken, leaseMs, tenantId };
    let claim: ClaimResult;
    // Only a settled claim's answer goes to the settled completion: it holds the lease.
    let settledClaim: ClaimResult | undefined;
    try {
      if (settled === undefined || store.claim !== MemoryStore.prototype.claim) {
        claim = await call('claim', () => store.claim(claimRequest));
      } else {
        claim = settledClaim = settled.claim(store as MemoryStore, claimRequest);
      }
    } catch (error) {
      // A claim that timed out may still land in the store and lock the key for a
      // whole lease; nothing ran under this token, so hand it back (fenced, best effort).
      void call('release', () => store.release(key, ownerToken)).catch(() => false);
      throw tallyError(storeUnavailable(error, 'claim', resolved.storeRetryAfterMs));
    }
    if (claim.outcome === 'in_flight') {
      const retryAfterMs = Math.min(Math.max(claim.leaseRemainingMs, 1), CONFLICT_RETRY_AFTER_MS);
      return tallyOutcome({ kind: 'in_flight', retryAfterMs });
    }
    if (claim.outcome === 'completed') {
      return tallyOutcome(
        claim.fingerprint === fingerprint
          ? { kind: 'replayed', response: claim.response }
          : { kind: 'mismatch' },
      );
    }

    // Named fields, not `...resolved`: spreading the options object cost more than the rest of execute.
    const { renewIntervalMs } = resolved;
    const lease = startLeaseRenewal({ store, key, ownerToken, leaseMs, renewIntervalMs, call });
    let result: OperationResult;
    try {
      // The operation's identity comes from the storage key alone, so every
      // execution of this key (a re-run, a takeover, another process) sees the same one.
      const identity = operationFor(key, tenantId);
      // Reading `lease.signal` makes Node build the AbortSignal: only for an operation that takes it.
      const claimed = lean
        ? new OperationClaim(key, ownerToken, retentionMs, identity)
        : { key, ownerToken, retentionMs, operationId: identity.id };
      const signal = lean ? undefined : lease.signal;
      result = await runInOperation(identity, () => operation(signal, claimed));
    } catch (error) {
      lease.stop();
      await call('release', () => store.release(key, ownerToken)).catch(() => false);
      throw tallyError(error);
    }
    lease.stop();

    if (result.completedInTransaction === true) {
      return tallyOutcome({ kind: 'executed', response: result.response, stored: true });
    }
    if (!result.record) {
      await call('release', () => store.release(key, ownerToken)).catch(() => false);
      return tallyOutcome({ kind: 'executed', response: result.response, stored: false });
    }
    const completeRequest = { key, ownerToken, response: result.response, retentionMs };
    let completed: boolean;
    try {
      completed =
        settled === undefined || store.complete !== MemoryStore.prototype.complete
          ? await call('complete', () => store.complete(completeRequest))
          : settled.complete(store as MemoryStore, completeRequest, settledClaim);
    } catch (error) {
      retryCompletionInBackground(() => store.complete(completeRequest), resolved);
      throw tallyError(
        new BulwarkError(
          ErrorCode.IdempotencyOutcomeUnknown,
          'the operation ran but its outcome could not be recorded; retry with the same key',
          {
            cause: storeUnavailable(error, 'complete', resolved.storeRetryAfterMs),
            retryAfterMs: leaseMs,
          },
        ),
      );
    }
    if (!completed) {
      throw tallyError(
        new BulwarkError(
          ErrorCode.IdempotencyLeaseLost,
          'the operation ran but another owner took the key over before its outcome was recorded',
          { retryAfterMs: CONFLICT_RETRY_AFTER_MS },
        ),
      );
    }
    return tallyOutcome({ kind: 'executed', response: result.response, stored: true });
  }

  const execute = (request: IdempotentRequest, operation: IdempotentOperation) =>
    run(request, operation as SignalOptionalOperation, false);
  const engine: LeanEngine = { execute, options: resolved, [LEAN_RUN]: run };
  return engine;
}

/** An operation of {@link executeLean}: `signal` is `undefined` there. */
type SignalOptionalOperation = (
  signal: AbortSignal | undefined,
  claim: IdempotencyClaim,
) => Promise<OperationResult>;

const LEAN_RUN = Symbol('bulwark.engine.leanRun');
interface LeanEngine extends IdempotencyEngine {
  readonly [LEAN_RUN]?: (
    request: IdempotentRequest,
    operation: SignalOptionalOperation,
    lean: boolean,
  ) => Promise<ExecutionOutcome>;
}

/**
 * `engine.execute(request, operation)` for the HTTP adapters, without what
 * they never read, built on every request (`benchmarks/profile/in-process.mjs
 * --alloc`): no lease signal (a handler is never aborted; a lost lease shows
 * at completion), where Node makes an AbortSignal, an EventTarget, the first
 * time a controller's `signal` is read; and a claim whose `operationId` is
 * read through from the operation, derived only when someone asks (the
 * adapter hands the handler a claim of its own, see `idempotencyClaim`).
 */
export function executeLean(
  engine: IdempotencyEngine,
  request: IdempotentRequest,
  operation: (signal: undefined, claim: IdempotencyClaim) => Promise<OperationResult>,
): Promise<ExecutionOutcome> {
  const run = (engine as LeanEngine)[LEAN_RUN];
  return run === undefined
    ? engine.execute(request, operation as unknown as IdempotentOperation)
    : run(request, operation as SignalOptionalOperation, true);
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
