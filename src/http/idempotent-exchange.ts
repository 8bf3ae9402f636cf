import type { ServerResponse } from 'node:http';
import { ErrorCode, isBulwarkError } from '../errors.js';
import {
  type ExecutionOutcome,
  executeLean,
  type IdempotencyClaim,
  type IdempotencyEngine,
  type IdempotentRequest,
  type OperationResult,
  type OperationSink,
  type RunListener,
} from '../idempotency/engine.js';
import type { StoredResponse } from '../idempotency/store.js';
import type { ResolvedIdempotencyOptions } from './idempotency-options.js';
import { recordOutcome } from './idempotency-outcome.js';
import type { HttpAnswer } from './problem.js';
import { answerOf, PROBLEMS, type ProblemKind } from './problem-table.js';
import { storedAnswer } from './recorded-answer.js';

/*
 * One idempotent request from its claim to its answer, the same for every
 * framework: claim → run the handler → record its answer BEFORE sending it →
 * send; or answer without running it (replay, in flight, mismatch, store
 * down). The framework's part is a {@link HandlerExchange}: letting the
 * handler run, holding its answer, and writing answers.
 *
 * While the handler runs, its claim is open to it (`idempotencyClaim(res)`):
 * the transactional mode behind `idempotency()`, where the handler completes
 * the record in its own business transaction (`withIdempotentTransaction`
 * from `bulwark/postgres`), fenced on the owner token of the claim it runs
 * under, and the adapter then sends exactly the response that committed.
 * Keyed by the Node response (Express's `res`, Fastify's `reply.raw`).
 */

/** How the handler's answer ended, as the adapter holds it. */
export type HeldAnswer =
  /** Held in full; nothing has reached the client yet. */
  | {
      readonly kind: 'complete';
      readonly status: number;
      readonly body: Buffer;
      /** Its replayable headers (`replayHeaders`), lower-case names. */
      readonly headers: Readonly<Record<string, string>>;
      /** Whether it answers a thrown error (never recorded, whatever its status). */
      readonly errored: boolean;
    }
  /** Too big to hold, or a stream: passed through, never replayable. */
  | { readonly kind: 'streamed' }
  /** Destroyed, or dropped: nothing to send. */
  | { readonly kind: 'aborted' };

/** What a framework adapter does for one idempotent request. */
export interface HandlerExchange {
  /** Node's response: the claim is looked up by it (`idempotencyClaim(res)`). */
  readonly res: ServerResponse;
  /**
   * Lets the handler run now (inside the operation, so `getOperation()` sees
   * it), and tells `listener` once, where its answer is held, streamed
   * through or aborted: told, not returned as a promise, so that on a
   * MemoryStore the answer is recorded in that same step, and may be sent
   * there (see `executeLean`; the http-server benchmarks).
   */
  runHandler(listener: HandlerListener): void;
  /** Sends the held answer as written; `headers` (a committed record's) replace its replayable ones. */
  sendHeld(headers?: Readonly<Record<string, string>>): void;
  /** Drops the held answer, if any, so another can be sent. */
  dropHeld(): void;
  /** Sends an answer of bulwark's own (a problem, a replay, a committed record). */
  send(answer: HttpAnswer): void;
  /** Hands an error that is not the engine's to the framework's error path. */
  fail(error: unknown): void;
}

/** Who hears how the handler's answer ended: one of the two, once. */
export interface HandlerListener {
  /** The answer is held in full, streamed through, or aborted; it may be sent before this returns. */
  answerHeld(held: HeldAnswer): void;
  /** The answer could not be described (nothing is sent): the key is released. */
  handlerFailed(error: unknown): void;
}

const EMPTY_RESPONSE: StoredResponse = { status: 0, headers: {}, body: new Uint8Array() };

/** Engine errors and the problem each becomes. */
const ENGINE_ERRORS: Readonly<Record<string, ProblemKind>> = {
  [ErrorCode.IdempotencyStoreUnavailable]: PROBLEMS.idempotencyStoreUnavailable,
  [ErrorCode.IdempotencyOutcomeUnknown]: PROBLEMS.idempotencyOutcomeUnknown,
  [ErrorCode.IdempotencyLeaseLost]: PROBLEMS.idempotencyLeaseLost,
};

/**
 * Runs one admitted request through the engine and answers it. Never throws:
 * an error while answering goes to the framework's error path
 * ({@link HandlerExchange.fail}).
 */
export function answerIdempotently<Req>(
  engine: IdempotencyEngine,
  config: ResolvedIdempotencyOptions<Req>,
  request: IdempotentRequest,
  exchange: HandlerExchange,
): void {
  const run = new HandlerRun(exchange, config);
  // The run hears the engine's end itself, rather than a `then` on a promise:
  // on a MemoryStore the answer may then go out in the step that recorded it
  // (see `executeLean`), one promise per request fewer, each tracked by
  // every AsyncLocalStorage of the process (the http-server benchmarks).
  try {
    executeLean(engine, request, run.operation, run);
  } catch (error) {
    guarded(answerEngineError, error, run, exchange);
  }
}

function guarded<T, Req>(
  answer: (value: T, run: HandlerRun<Req>, exchange: HandlerExchange) => void,
  value: T,
  run: HandlerRun<Req>,
  exchange: HandlerExchange,
): void {
  try {
    answer(value, run, exchange);
  } catch (error) {
    exchange.fail(error);
  }
}

/** Answers what the engine decided: the handler's answer, a replay, or a conflict. */
function answerResult<Req>(
  result: ExecutionOutcome,
  run: HandlerRun<Req>,
  exchange: HandlerExchange,
): void {
  recordOutcome(result.kind);
  switch (result.kind) {
    case 'executed':
      run.finish();
      break;
    case 'replayed':
      exchange.send(storedAnswer(result.response, true));
      break;
    case 'in_flight':
      exchange.send(answerOf(PROBLEMS.idempotencyInFlight, { retryAfterMs: result.retryAfterMs }));
      break;
    case 'mismatch':
      exchange.send(answerOf(PROBLEMS.idempotencyMismatch));
  }
}

/** Answers an engine error from the problem table; any other error goes to the framework. */
function answerEngineError(error: unknown, _run: unknown, exchange: HandlerExchange): void {
  exchange.dropHeld();
  const kind = isBulwarkError(error) ? ENGINE_ERRORS[error.code] : undefined;
  if (kind === undefined || !isBulwarkError(error)) {
    exchange.fail(error);
    return;
  }
  recordOutcome(kind === PROBLEMS.idempotencyStoreUnavailable ? 'store_unavailable' : 'executed');
  exchange.send(answerOf(kind, { retryAfterMs: error.retryAfterMs }));
}

/**
 * The handler's run under a claim: what it answered, and what it committed
 * in its own transaction (`idempotencyClaim(res).onCommitted`). The engine
 * records the result of {@link operation} before {@link finish} sends it.
 */
class HandlerRun<Req> implements RunListener, HandlerListener {
  #held: HeldAnswer | undefined;
  #committed: StoredResponse | undefined;
  /** The claim open to the handler, and the engine's sink for the answer: set while the handler runs. */
  #open: OpenClaim | undefined;
  #sink: OperationSink | undefined;

  constructor(
    readonly exchange: HandlerExchange,
    readonly config: ResolvedIdempotencyOptions<Req>,
  ) {}

  /** The engine recorded the answer, or answered without running the handler: answer the client. */
  ended(outcome: ExecutionOutcome): void {
    guarded(answerResult, outcome, this, this.exchange);
  }

  /** The engine failed: answer with its problem, or hand the error to the framework. */
  failed(error: unknown): void {
    guarded(answerEngineError, error, this, this.exchange);
  }

  /** The engine's operation: lets the handler run under `claim`; its answer goes to `sink` as the result to record. */
  readonly operation = (claim: IdempotencyClaim, sink: OperationSink): void => {
    const open = openClaim(this.exchange.res, claim);
    this.#open = open;
    this.#sink = sink;
    try {
      this.exchange.runHandler(this);
    } catch (error) {
      this.handlerFailed(error);
    } finally {
      open.leaveSynchronousPart();
    }
  };

  answerHeld(held: HeldAnswer): void {
    const sink = this.#takeSink();
    if (sink === undefined) return;
    let result: OperationResult;
    try {
      // The claim closes before the result is made, so it is closed whatever happens next.
      result = this.#result(held, this.#open?.close());
    } catch (error) {
      sink.failed(error);
      return;
    }
    sink.succeeded(result);
  }

  handlerFailed(error: unknown): void {
    const sink = this.#takeSink();
    if (sink === undefined) return;
    this.#open?.close();
    sink.failed(error);
  }

  /** The engine's sink, once: the first telling of the handler's end is the one that counts. */
  #takeSink(): OperationSink | undefined {
    const sink = this.#sink;
    this.#sink = undefined;
    return sink;
  }

  #result(held: HeldAnswer, committed: StoredResponse | undefined): OperationResult {
    this.#held = held;
    this.#committed = committed;
    // The handler completed the record in its own transaction: that response is the record.
    if (committed !== undefined) {
      return { response: committed, record: true, completedInTransaction: true };
    }
    if (held.kind !== 'complete') return { response: EMPTY_RESPONSE, record: false };
    const { status, headers, body } = held;
    // A thrown handler error releases the key, whatever status its answer has.
    return {
      response: { status, headers, body },
      record: !held.errored && this.config.storeStatus(status),
    };
  }

  /**
   * Sends what was recorded. With a committed record, the first answer is the
   * one every retry replays: the held answer goes out when it has the
   * committed status and bytes (with the committed headers), else the record
   * does. A streamed or aborted answer is left alone: its bytes are gone, or
   * nobody listens, and the retry replays the record.
   */
  finish(): void {
    const held = this.#held;
    const committed = this.#committed;
    if (held?.kind !== 'complete') return;
    if (committed === undefined) {
      this.exchange.sendHeld();
    } else if (
      held.status === committed.status &&
      Buffer.compare(held.body, committed.body) === 0
    ) {
      this.exchange.sendHeld(committed.headers);
    } else {
      this.exchange.dropHeld();
      this.exchange.send(storedAnswer(committed, false));
    }
  }
}

/** The claim one request runs under (Express `idempotency()`, the Fastify plugin); see {@link idempotencyClaim}. */
export interface IdempotencyRequestClaim extends IdempotencyClaim {
  /**
   * Tells `idempotency()` that `response` committed as this request's record;
   * `withIdempotentTransaction` calls it after `COMMIT`. The middleware then
   * completes nothing itself and sends exactly `response`. Calls after the
   * handler has answered are ignored.
   */
  readonly onCommitted: (response: StoredResponse) => void;
}

/** A claim open while the handler runs. */
interface OpenClaim {
  /** Stops accepting `onCommitted`; returns the response that committed, if one did. */
  close(): StoredResponse | undefined;
  /** The handler's synchronous part has returned: a claim still open is kept where a later call finds it. */
  leaveSynchronousPart(): void;
}

/*
 * Where `idempotencyClaim(res)` finds a claim: the same two ways as the
 * tenant in `request-tenant.ts`, the cheap one first. While the handler's
 * synchronous part runs (inside `runHandler`), the claim is held out in a
 * module-level chain; one still open once that part has returned (a handler
 * that awaits before answering) goes into a WeakMap keyed by the response.
 * A handler that answers at once (`res.json()`) then costs no WeakMap entry:
 * a set and a delete keyed by Express's `res` were among the costliest lines
 * of the idempotent request (scenario `http-server`,
 * `benchmarks/profile/in-process.mjs --profile`). A slot on the response
 * costs more still: every Express `res` has a hidden class of its own, so
 * adding a property to it builds a new one.
 */
const claims = new WeakMap<ServerResponse, RequestClaim>();
let heldOut: RequestClaim | undefined;

/**
 * The idempotency claim the current request runs under, for completing the
 * record in the same transaction as the business write (pass Express's `res`
 * or Fastify's `reply.raw`); `undefined` when idempotency is not handling this request (another method, or no key
 * with `required: false`).
 *
 * @example
 * const claim = idempotencyClaim(res);
 * if (claim === undefined) throw new Error('mount idempotency() before this handler');
 * const stored = await withIdempotentTransaction(store, claim, async (tx) => { ... });
 * res.status(stored.status).set(stored.headers).end(stored.body);
 */
export function idempotencyClaim(res: ServerResponse): IdempotencyRequestClaim | undefined {
  for (let open = heldOut; open !== undefined; open = open.outer) {
    // A claim closed meanwhile (the handler answered) is no longer handed out, as before.
    if (open.res === res) return open.isOpen ? open.handed() : undefined;
  }
  return claims.get(res)?.handed();
}

/**
 * Makes `claim` visible to the handler of `res` until {@link OpenClaim.close}:
 * held out until {@link OpenClaim.leaveSynchronousPart}, then, if still open,
 * in the WeakMap.
 */
function openClaim(res: ServerResponse, claim: IdempotencyClaim): OpenClaim {
  const open = new RequestClaim(res, claim, heldOut);
  heldOut = open;
  return open;
}

/**
 * A claim open to one request's handler. The object the handler gets is made
 * only if it asks (`idempotencyClaim(res)`, a transactional handler): most
 * never do, and its `operationId` costs a SHA-256 (`benchmarks/profile/in-process.mjs --alloc`).
 */
class RequestClaim implements OpenClaim {
  readonly res: ServerResponse;
  /** The claim held out around this one, while this one is held out. */
  outer: RequestClaim | undefined;
  readonly #claim: IdempotencyClaim;
  #open = true;
  #inMap = false;
  #committed: StoredResponse | undefined;
  #handed: IdempotencyRequestClaim | undefined;

  constructor(res: ServerResponse, claim: IdempotencyClaim, outer: RequestClaim | undefined) {
    this.res = res;
    this.#claim = claim;
    this.outer = outer;
  }

  /** Whether the handler has not answered yet. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** The claim as the handler sees it: a plain object, the same one each time it asks. */
  handed(): IdempotencyRequestClaim {
    const claim = this.#claim;
    this.#handed ??= {
      key: claim.key,
      ownerToken: claim.ownerToken,
      retentionMs: claim.retentionMs,
      operationId: claim.operationId,
      onCommitted: (response) => {
        if (this.#open && this.#committed === undefined) this.#committed = response;
      },
    };
    return this.#handed;
  }

  close(): StoredResponse | undefined {
    this.#open = false;
    if (this.#inMap) claims.delete(this.res);
    this.#inMap = false;
    return this.#committed;
  }

  leaveSynchronousPart(): void {
    // Claims are held out and left in nested order (each within the runHandler of the one outside).
    if (heldOut === this) heldOut = this.outer;
    this.outer = undefined;
    if (!this.#open) return;
    claims.set(this.res, this);
    this.#inMap = true;
  }
}
