import type { Span } from '@opentelemetry/api';
import { type Attempt, type CallEnding, watchableAttempt } from '../resilience/call.js';
import { now } from '../resilience/clock.js';
import type { AttemptContext } from '../resilience/context.js';
import type { PreparedBody } from './body.js';
import { Exchange } from './exchange.js';
import { guardResponse } from './guarded-response.js';
import type { HeaderRecord } from './header-record.js';
import { hopHeaders } from './hop-headers.js';
import { Limit, type LimitCauses } from './limit.js';
import { attachMeta } from './meta.js';
import { isRetryableStatus } from './methods.js';
import type { OriginScope } from './origin-scope.js';
import type { Hop } from './redirects.js';
import type { OutgoingRequest } from './request.js';
import type { ResolvedFetchOptions } from './resolved-options.js';
import { parseRetryAfter } from './retry-after.js';
import { discard, finalResponseOf, RetryableResponseError } from './retryable-response.js';
import { type Sender, sendAttempt } from './send.js';
import { endSpan, startAttemptSpan } from './spans.js';

/** Node's fetch takes a `dispatcher` (undici's) beside the standard fields. */
interface DispatcherInit {
  readonly dispatcher?: unknown;
}

/** What every call of one `createFetch()` function shares. */
export interface FetchRuntime {
  /** The `createFetch()` options, resolved. */
  readonly resolved: ResolvedFetchOptions;
  /** The errors a cut response body rejects with. */
  readonly bodyCauses: LimitCauses;
  /** True when an attempt's signal can fire without the caller (a deadline or timeout is on). */
  readonly timed: boolean;
}

/**
 * One logical call across its attempts: sends each attempt (through
 * send.ts, which follows redirects), turns a "try again" status into an
 * error the pipeline retries on, and hands the caller the final response with
 * its body bounded by the call's deadline and signal while any of it can
 * still be cut (see {@link nothingLeftToCut}).
 */
export class FetchCall implements CallEnding<Response> {
  /** Attempts sent so far. */
  attempts = 0;
  /** The response of a retryable status, kept in case it turns out to be final. */
  private held: Response | undefined;
  /** Clock time of the total deadline, once the first attempt has read it. */
  private deadlineAt = Number.POSITIVE_INFINITY;
  /** The exchange of the attempt whose response the caller gets, when its body is bounded. */
  private exchange: Exchange | undefined;
  /**
   * Watch the attempt only when something can stop it (a timeout, the
   * deadline or the caller's signal).
   */
  private readonly abortable: boolean;
  /** The body outlives the attempt: with a deadline or a signal, it needs a signal of its own. */
  private readonly bodyBounded: boolean;

  constructor(
    readonly runtime: FetchRuntime,
    readonly request: OutgoingRequest,
    readonly body: PreparedBody,
    private readonly key: string | undefined,
    readonly fetchImpl: typeof fetch,
  ) {
    const signalled = request.signal !== undefined;
    this.abortable = runtime.timed || signalled;
    this.bodyBounded = runtime.resolved.totalTimeoutMs !== undefined || signalled;
  }

  /**
   * The task given to the pipeline: one attempt. Not an async function: the
   * steps after the response run in one `then`, which keeps no suspended
   * frame per attempt (`benchmarks/scenarios/http-client.mjs`).
   */
  readonly attempt = (context: AttemptContext): Promise<Response> => {
    const { resolved } = this.runtime;
    this.attempts = context.attempt;
    const own = watchableAttempt(context);
    // The deadline does not move: where it falls is read once, for the body's limit.
    if (context.attempt === 1 && resolved.totalTimeoutMs !== undefined) {
      this.deadlineAt = own?.deadlineAt ?? now() + context.remainingMs;
    }
    this.discardHeld();
    const span =
      resolved.spans === 'attempt' ? startAttemptSpan(this.request, context.attempt) : undefined;
    const exchange = this.abortable ? this.cancellable(context) : undefined;
    // The attempt's outcome settles resilient()'s race directly from the last hop's `then`.
    const settles = own?.settlesItself() === true ? own : undefined;
    // Resolves with undefined only when the attempt settles itself, and then nobody reads it.
    return sendAttempt(
      this,
      new AttemptSender(this, context, span, exchange, settles),
    ) as Promise<Response>;
  };

  /** An attempt's response came: it ends the attempt, or is a status to retry (thrown). */
  answered(response: Response, span: Span | undefined, exchange: Exchange | undefined): Response {
    exchange?.unfollow();
    if (span) endSpan(span, { status: response.status });
    if (this.bodyBounded) this.exchange = exchange;
    if (isRetryableStatus(response.status, this.key !== undefined)) {
      this.held = response;
      throw new RetryableResponseError(
        response,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    return response;
  }

  /** An attempt failed before its response: rethrows what stopped it. */
  failedAttempt(thrown: unknown, span: Span | undefined, exchange: Exchange | undefined): never {
    exchange?.unfollow();
    // Cancelled through its dispatcher, fetch rejects with a bare "fetch failed".
    const error = exchange?.cancelled ? exchange.reason : thrown;
    if (span) endSpan(span, { error });
    if (!this.body.replayable) this.body.abandon(error);
    throw error;
  }

  /**
   * The pipeline rejected: a call that ended on a retryable status (retries
   * spent) hands that response to the caller, as `fetch` would; any other
   * failure is rethrown.
   */
  fail(error: unknown): Response {
    const response = finalResponseOf(error);
    if (response !== undefined) return this.deliver(response);
    this.discardHeld();
    throw error;
  }

  /** The response for the caller: its body bounded by the call's deadline and signal, its meta attached. */
  deliver(response: Response): Response {
    // The meta first: a property added after guardResponse swapped the prototype
    // would give every response a map of its own (benchmarks/scenarios/http-client.mjs).
    attachMeta(response, this.key, this.attempts, !this.body.replayable);
    const exchange = this.exchange;
    if (exchange === undefined || nothingLeftToCut(exchange, this.request)) return response;
    const limit = new Limit(this.request.signal, this.deadlineAt, this.runtime.bodyCauses);
    return guardResponse(response, limit, exchange);
  }

  /** A new exchange for this attempt, cancelled when the attempt stops. */
  private cancellable(context: AttemptContext): Exchange {
    const exchange = new Exchange(this.fetchImpl, (this.request.init as DispatcherInit).dispatcher);
    exchange.followAttempt(context);
    return exchange;
  }

  /** Frees the connection of a held response nobody will read. */
  discardHeld(): void {
    discard(this.held);
    this.held = undefined;
  }
}

/**
 * One attempt as send.ts sees it: the headers of each hop, and the two ends
 * of the attempt, which send.ts calls from the `then` of the last hop. One
 * object per attempt instead of closures over its span and exchange
 * (`benchmarks/scenarios/http-client.mjs`).
 */
class AttemptSender implements Sender {
  readonly fetch: typeof fetch;
  readonly scope: OriginScope;

  /**
   * @param settles The attempt, when it settles itself (`Attempt.settlesItself`):
   *   its outcome goes to the attempt, not into the promise the hops return.
   */
  constructor(
    private readonly call: FetchCall,
    private readonly context: AttemptContext,
    private readonly span: Span | undefined,
    readonly exchange: Exchange | undefined,
    private readonly settles: Attempt | undefined,
  ) {
    this.fetch = call.fetchImpl;
    this.scope = call.runtime.resolved.scope;
  }

  headersFor(hop: Hop, callOrigin: string): HeaderRecord | undefined {
    return hopHeaders(hop, callOrigin, this.call.runtime.resolved, this.span, this.context);
  }

  answered(response: Response): Response {
    const settles = this.settles;
    if (settles === undefined) return this.call.answered(response, this.span, this.exchange);
    try {
      settles.succeed(this.call.answered(response, this.span, this.exchange));
    } catch (error) {
      settles.failWith(error);
    }
    return response;
  }

  failed(error: unknown): undefined {
    const settles = this.settles;
    if (settles === undefined) return this.call.failedAttempt(error, this.span, this.exchange);
    try {
      this.call.failedAttempt(error, this.span, this.exchange);
    } catch (thrown) {
      settles.failWith(thrown);
    }
    return undefined;
  }
}

/**
 * True when the response body needs no bound: it was received to its end
 * before the call resolved (a small body usually is) and no caller's signal
 * can abort it afterwards, so neither the deadline nor an abort has anything
 * left to cut. Such a response is handed over as `fetch` made it: no limit on
 * the shared timer, no guarded prototype, no wrapped reads
 * (`benchmarks/scenarios/http-client.mjs`).
 */
function nothingLeftToCut(exchange: Exchange, request: OutgoingRequest): boolean {
  return exchange.received && request.signal === undefined;
}
