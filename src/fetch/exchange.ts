/**
 * The cancel handle of one attempt's exchange (its request, its redirect hops
 * and the response body read after the call resolved), handed to `fetch` as
 * its `dispatcher` instead of an `AbortSignal`.
 *
 * Why not a signal: undici's fetch pays for every signal it is given (a
 * `FinalizationRegistry` entry, listener bookkeeping, a second controller
 * linked to it), and the wrapper needed one of its own per attempt because
 * the body outlives the attempt's. The `http-client` benchmark scenario
 * (`benchmarks/scenarios/http-client.mjs`) measured that as the largest part
 * of `createFetch()`'s overhead. A dispatcher sees each hop's undici request
 * handler, which receives the request's own abort function when the request
 * is sent; cancelling calls it, which errors the request and its response
 * body (fetch then rejects the pending read) and destroys the connection.
 * The global dispatcher does the real work: this only watches.
 *
 * A `fetch` that is not Node's own (the `fetch` option, a patched global)
 * may ignore `dispatcher`: for those, and before undici has set its global
 * dispatcher, the exchange hands out a signal instead (`Exchange.signal`).
 */

import { type Attempt, type AttemptStopWatcher, watchableAttempt } from '../resilience/call.js';
import type { AttemptContext } from '../resilience/context.js';
import { type HopWatcher, watchedHandler } from './watched-handler.js';

/** Where undici (Node's and the npm package's) keeps the global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Node's own `fetch`, as found when this module loaded. */
const nodeFetch = globalThis.fetch;

/** The part of an undici `Dispatcher` fetch calls. */
interface Dispatcher {
  dispatch(options: object, handler: object): boolean;
  readonly isMockActive?: boolean;
}

/**
 * One attempt's exchange; see the module comment. It may be cancelled before,
 * during or after `fetch` resolves; a request not yet sent is aborted the
 * moment undici hands it a connection, before any byte goes out.
 */
export class Exchange implements EventListenerObject, Dispatcher, AttemptStopWatcher, HopWatcher {
  /** Why it was cancelled, once it was. */
  reason: unknown;
  /** True once cancelled; the first reason wins. */
  cancelled = false;
  /**
   * True once the response of the hop in flight was received to its end
   * (undici told its handler so): its body is all in memory, and nothing
   * is left to cut. Known only through a dispatcher; false on the fallback path.
   */
  received = false;
  /** Hops dispatched so far: a late end of an earlier hop's response says nothing of this one's. */
  private hops = 0;
  /** The dispatcher that sends the requests, when `fetch` is Node's own; else undefined. */
  private readonly inner: Dispatcher | undefined;
  /** The abort of the hop in flight, from undici. */
  private abortHop: ((reason: unknown) => void) | undefined;
  /** The signal handed out on the fallback path. */
  private controller: AbortController | undefined;
  private followed: AbortSignal | undefined;
  private watched: Attempt | undefined;

  /**
   * @param fetchImpl The `fetch` the attempt calls.
   * @param given The caller's own `dispatcher` option, if any: requests still go through it.
   */
  constructor(fetchImpl: typeof fetch, given: unknown) {
    const inner = (given ?? (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER]) as
      | Dispatcher
      | undefined;
    if (fetchImpl === nodeFetch && typeof inner?.dispatch === 'function') this.inner = inner;
  }

  /** The `dispatcher` to give `fetch`: this exchange, or `undefined` on the fallback path. */
  get dispatcher(): Dispatcher | undefined {
    return this.inner === undefined ? undefined : this;
  }

  /** The `signal` to give `fetch`: none through a dispatcher, else one aborted with the exchange. */
  get signal(): AbortSignal | undefined {
    if (this.inner !== undefined) return undefined;
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /**
   * Cancels the exchange when the attempt stops, until {@link unfollow}:
   * watched directly when it is `resilient()`'s own attempt (no signal made),
   * else through its signal.
   */
  followAttempt(context: AttemptContext): void {
    const attempt = watchableAttempt(context);
    if (attempt === undefined) {
      this.follow(context.signal);
      return;
    }
    this.watched = attempt;
    attempt.watch(this);
  }

  /** The watched attempt stopped. */
  attemptStopped(reason: unknown): void {
    this.cancel(reason);
  }

  /** Cancels the exchange when `signal` (the attempt's) aborts, until {@link unfollow}. */
  follow(signal: AbortSignal): void {
    if (signal.aborted) {
      this.cancel(signal.reason);
      return;
    }
    this.followed = signal;
    signal.addEventListener('abort', this);
  }

  /** The attempt is over: its signal (never aborted after success) no longer concerns the body. */
  unfollow(): void {
    this.followed?.removeEventListener('abort', this);
    this.followed = undefined;
    this.watched?.unwatch(this);
    this.watched = undefined;
  }

  /** The followed signal aborted. */
  handleEvent(): void {
    this.cancel(this.followed?.reason);
  }

  /** Cancels the request or the body being received with `reason`; later calls do nothing. */
  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.unfollow();
    this.abortHop?.(reason);
    this.controller?.abort(reason);
  }

  /** fetch reads it to choose what body to pass a MockAgent. */
  get isMockActive(): boolean | undefined {
    return this.inner?.isMockActive;
  }

  /** fetch sends each hop through here: forwarded to the real dispatcher, its abort kept. */
  dispatch(options: object, handler: object): boolean {
    this.received = false;
    return this.inner!.dispatch(options, watchedHandler(handler, this, ++this.hops));
  }

  /** undici received the whole response of hop number `hop`. */
  hopReceived(hop: number): void {
    if (hop === this.hops) this.received = true;
  }

  /** undici handed the hop in flight its abort (once per redirect hop). */
  hopStarted(abort: (reason: unknown) => void): void {
    this.abortHop = abort;
    if (this.cancelled) abort(this.reason);
  }
}
