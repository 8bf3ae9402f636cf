import type { IPolicy } from 'cockatiel';
import { ErrorCode, isBulwarkError } from '../errors.js';
import type { Bulkhead, BulkheadLayer } from './bulkhead.js';
import type { CallCounts } from './call-counts.js';
import type { BreakerLayer } from './circuit-breaker.js';
import { type CircuitBreaker, NOT_A_PROBE } from './circuit-breaker.js';
import type { AttemptContext, ExecuteOptions } from './context.js';
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { aborted, attemptTimedOut, deadlineExceeded } from './failures.js';
import { runInside, type Task } from './inner-policy.js';
import type { RetryLayer } from './retry.js';
import type { PipelineTelemetry } from './telemetry.js';
import { TimerSlot } from './timer-wheel.js';

/*
 * One `execute` call, from its bulkhead slot to its last attempt, the
 * context each attempt hands `fn` (`Attempt`), and the timers that watch a
 * pipeline's calls in flight (`CallTimers`, at the end). This file is a
 * state machine and longer than the others on purpose: the order of the
 * layers, what happens around every attempt and the call's two timers
 * (attempt timeout, total deadline) read top to bottom in one place, only
 * the Call writes its own state, and a successful call needs no other file
 * than its policies' (test/resilience/walk.test.ts). The order, outermost first, is decided in
 * `run()` and nowhere else:
 *
 *   bulkhead → total deadline → retry → circuit breaker → attempt timeout → fn
 *
 * A switched-off layer (`false`) is skipped in place. The layers are steps of
 * plain methods rather than nested policies: a call pays for a few branches,
 * not for a promise, a closure and a rethrow per layer (the `policy` scenario,
 * `benchmarks/scenarios/policy.mjs`, holds this against cockatiel's `wrap`).
 */

/** What a call needs to know about its pipeline. */
export interface ResolvedPipelineOptions {
  readonly name: string;
  readonly events: ResilienceEvents;
  /** Total deadline in ms, or undefined when the deadline layer is off. */
  readonly totalTimeoutMs: number | undefined;
  /** Attempt timeout in ms, or undefined when that layer is off. */
  readonly attemptTimeoutMs: number | undefined;
  /** A cockatiel policy run around each attempt, if any. */
  readonly inner: IPolicy | undefined;
  /** The pipeline's call and failure counters. */
  readonly counts: CallCounts;
  /** The pipeline's deadlines and attempt timeouts in flight. */
  readonly timers: CallTimers;
}

/** The resolved layers of a pipeline; `undefined` = switched off. */
export interface Layers {
  readonly bulkhead: BulkheadLayer | undefined;
  readonly retry: RetryLayer | undefined;
  readonly breaker: BreakerLayer | undefined;
  readonly telemetry: PipelineTelemetry | undefined;
}

/**
 * What the caller makes of a call's outcome, run in the call's own last
 * `then` rather than in a `then` of the caller's: `createFetch()` hands its
 * caller the response this way, one promise and two closures fewer per call
 * (benchmarks/scenarios/http-client.mjs). Either method may throw: the call
 * then rejects with what it threw.
 */
export interface CallEnding<T> {
  /** The call succeeded with `value`: returns what it resolves with. */
  deliver(value: T): T;
  /** The call failed with `error`: returns what it resolves with instead, or throws. */
  fail(error: unknown): T;
}

/** A promise settled at once by `ending` (undefined: rejected) with the call's failure `error`. */
export function endedWith<T>(error: unknown, ending: CallEnding<T> | undefined): Promise<T> {
  if (ending === undefined) return Promise.reject(error);
  try {
    return Promise.resolve(ending.fail(error));
  } catch (thrown) {
    return Promise.reject(thrown);
  }
}

/**
 * The state of one `execute` call across its attempts. Once its failure is
 * set (caller abort or deadline) it never clears, every wait is rejected at
 * once, and no attempt may start: this is how "no attempt after abort" holds.
 *
 * A call's deadline and attempt timeout are entries in its pipeline's
 * {@link CallTimers} (end of this file): a successful call adds and deletes
 * them and, most of the time, never touches a timer. The call itself is the
 * entry of its deadline, and each {@link Attempt} the entry of its timeout,
 * so watching them allocates nothing (benchmarks/scenarios/http-client.mjs).
 */
export class Call<T> implements EventListenerObject, Due<Call<unknown>> {
  /** Links in the pipeline's deadline queue ({@link DueList}); the call is its own entry. */
  duePrev: Call<unknown> | undefined;
  dueNext: Call<unknown> | undefined;
  dueListed = false;
  #attempt = 0;
  #deadlineAt = Number.POSITIVE_INFINITY;
  /** When the attempt in progress times out; Infinity between attempts, with that layer off, or when the deadline comes first. */
  #attemptAt = Number.POSITIVE_INFINITY;
  #failure: unknown;
  #lastError: unknown;
  /** The backoff before the attempt in progress (decorrelated jitter grows from it). */
  #lastDelayMs = 0;
  /** Rejects the pending backoff sleep or bulkhead wait, if any. */
  #wait: ((error: unknown) => void) | undefined;
  /** The bulkhead whose slot this call holds, once it holds one. */
  #bulkhead: Bulkhead | undefined;
  /** Breaker key of the attempt in progress, for events. */
  #key: string | undefined;
  /** The breaker of the attempt in progress and its permit (see `CircuitBreaker.admit`). */
  #breaker: CircuitBreaker | undefined;
  #permit = NOT_A_PROBE;
  /** Clock time the attempt in progress started, or -1 when it is not timed. */
  #attemptStartMs = -1;
  /** Clock time the call came in (before any bulkhead wait), when metered. */
  #runMs = 0;
  #current: Attempt | undefined;

  /**
   * @param metered Whether durations are recorded (an OTel SDK is registered).
   * @param ending What the caller makes of the outcome, if anything (see {@link CallEnding}).
   */
  constructor(
    readonly settings: ResolvedPipelineOptions,
    private readonly layers: Layers,
    private readonly task: Task<T>,
    readonly options: ExecuteOptions,
    private readonly metered: boolean,
    private readonly ending: CallEnding<T> | undefined,
  ) {}

  /** The attempt in progress or last ended: 1 for the first try; 0 before it. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Clock time of the total deadline; Infinity with that layer off. */
  get deadlineAt(): number {
    return this.#deadlineAt;
  }

  /** When this call falls due in the deadline queue: its deadline. */
  get dueAt(): number {
    return this.#deadlineAt;
  }

  /** Clock time the attempt in progress times out; Infinity when it has no timeout of its own. */
  get attemptAt(): number {
    return this.#attemptAt;
  }

  /** Breaker key of the attempt in progress, when keyed. */
  get key(): string | undefined {
    return this.#key;
  }

  /** Why the call was stopped for good (abort, deadline), once it was. */
  get failure(): unknown {
    return this.#failure;
  }

  /** Runs the call through every layer, in THE order; settles once. */
  run(): Promise<T> {
    // 1. Bulkhead, outermost: a call holds one slot across all its attempts and
    //    backoffs, so retries can never multiply concurrency, and a rejected
    //    call costs the downstream nothing. Queue time has its own bound
    //    (queueTimeoutMs) and does not eat into the deadline.
    this.settings.counts.calls++;
    const arrivedMs = now();
    if (this.metered) this.#runMs = arrivedMs;
    try {
      const bulkhead = this.layers.bulkhead?.bulkheadFor(this.options);
      const queued = bulkhead?.acquire(this);
      if (queued !== undefined) return this.startWhenGranted(queued, bulkhead!);
      this.#bulkhead = bulkhead;
    } catch (error) {
      this.settings.counts.failures++;
      this.recordCall(error);
      return endedWith(error, this.ending);
    }
    return this.start(arrivedMs);
  }

  /**
   * Starts once the bulkhead's queue grants a slot. Its own method: the
   * closures here, in `run`, would make every call allocate the variables
   * they capture (benchmarks/scenarios/http-client.mjs).
   */
  private startWhenGranted(queued: Promise<void>, bulkhead: Bulkhead): Promise<T> {
    return queued.then(
      () => {
        this.#bulkhead = bulkhead;
        return this.start(now());
      },
      // A waiter that is not granted a slot (timeout, abort) has none to release.
      (error: unknown) => {
        this.settings.counts.failures++;
        this.recordCall(error);
        return this.endFailed(error);
      },
    );
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.interrupt(aborted(this.settings.name, this.options.signal?.reason));
  }

  /**
   * Registers how to end the wait the call is in (a bulkhead queue), so an
   * abort ends it at once; {@link doneWaiting} when the wait is over.
   */
  waitingOn(cancel: (error: unknown) => void): void {
    this.#wait = cancel;
  }

  /** The wait registered by {@link waitingOn} ended by itself. */
  doneWaiting(): void {
    this.#wait = undefined;
  }

  /**
   * 2. Total deadline, inside the bulkhead: it spans every attempt and every
   * backoff, so retries can never outlive what the caller waits for.
   */
  private start(startMs: number): Promise<T> {
    const totalMs = this.settings.totalTimeoutMs;
    if (totalMs !== undefined) {
      this.#deadlineAt = startMs + totalMs;
      this.settings.timers.addDeadline(this as Call<unknown>, startMs);
    }
    try {
      this.layers.retry?.recordCall(this, startMs);
    } catch (error) {
      return endedWith(this.failedWith(error), this.ending);
    }
    // The first attempt opens at the call's start: only bookkeeping ran since.
    return this.next(startMs);
  }

  /**
   * 3. Retry, outside the breaker: every attempt asks the breaker, so a
   * breaker that opens mid-call stops the remaining retries at once (an open
   * circuit is never retried), and every attempt counts in its window.
   * 4. Circuit breaker around each attempt, and 5. the attempt timeout
   * innermost: a timed-out attempt is a failure the breaker sees, and the
   * breaker's fast-fail never waits on a timer. The same steps for every
   * attempt; a success settles through one `then`, no async frame.
   */
  private next(openedMs: number): Promise<T> {
    let result: Promise<T>;
    try {
      this.openAttempt(openedMs);
      result = this.runAttempt(openedMs);
    } catch (error) {
      return endedWith(this.failedWith(error), this.ending);
    }
    return result.then(
      (value) => this.succeeded(value),
      (error: unknown) => this.retryOrFail(error),
    );
  }

  private succeeded(value: T): T {
    let endMs = -1;
    try {
      endMs = this.closeAttempt(undefined);
    } finally {
      this.end();
    }
    this.recordCall(undefined, endMs);
    return this.ending === undefined ? value : this.ending.deliver(value);
  }

  /** The call failed for good with `error`: what its ending makes of it, else `error` thrown. */
  private endFailed(error: unknown): T {
    if (this.ending === undefined) throw error;
    return this.ending.fail(error);
  }

  /** Backs off and runs the next attempt, or fails the call (no retry layer, or it says stop). */
  private retryOrFail(error: unknown): Promise<T> | T {
    let delayMs: number;
    try {
      this.closeAttempt(error);
      if (this.layers.retry === undefined) throw error;
      delayMs = this.layers.retry.nextDelay(this, error, this.#lastDelayMs);
    } catch (final) {
      // Thrown from the handler, not returned as a rejected promise: a promise
      // rejected before anyone handles it is the costlier path in Node.
      return this.endFailed(this.failedWith(final));
    }
    this.#lastError = error;
    this.#lastDelayMs = delayMs;
    return this.sleep(delayMs).then(
      () => this.next(now()),
      (interrupted: unknown) => this.endFailed(this.failedWith(interrupted)),
    );
  }

  /**
   * Checks the call may go on at clock time `nowMs` (the shared timer may fire
   * one tick late), asks its breaker for a permit (throws when open) and
   * starts the attempt's clock.
   */
  private openAttempt(nowMs: number): void {
    // Before the breaker: an attempt that will not start must not take a probe or count.
    if (this.#failure === undefined && nowMs >= this.#deadlineAt) this.passDeadline();
    if (this.#failure !== undefined) throw this.#failure;
    const breakers = this.layers.breaker;
    if (breakers !== undefined) {
      const key = breakers.keyOf(this.options);
      this.#key = key === '' ? undefined : key;
      const breaker = breakers.breakerFor(key, this.#attempt + 1);
      this.#permit = breaker.admit(nowMs, this.#attempt + 1);
      // Only once admitted: closeAttempt ends exactly the attempts a breaker let through.
      this.#breaker = breaker;
    }
    this.#attemptStartMs = this.metered ? nowMs : -1;
  }

  /**
   * Runs one attempt of the task, raced against its interruption (timeout,
   * deadline, abort) when anything can interrupt it. A task may settle that
   * race itself ({@link Attempt.settlesItself}); else the race follows the
   * promise the task returns.
   */
  private runAttempt(nowMs: number): Promise<T> {
    const attempt = new Attempt(++this.#attempt, this.#deadlineAt, this as Call<unknown>);
    this.#current = attempt;
    const timeoutMs = this.settings.attemptTimeoutMs;
    // Cut to the deadline: when the deadline comes first, it covers the attempt.
    if (timeoutMs !== undefined && nowMs + timeoutMs < this.#deadlineAt) {
      this.#attemptAt = nowMs + timeoutMs;
      attempt.dueAt = this.#attemptAt;
      this.settings.timers.addAttempt(attempt, nowMs);
    }
    // Something can interrupt the attempt: its outcome is raced against that.
    attempt.raced =
      this.#deadlineAt !== Number.POSITIVE_INFINITY ||
      this.#attemptAt !== Number.POSITIVE_INFINITY ||
      this.options.signal !== undefined;
    let result: PromiseLike<T> | T;
    try {
      const inner = this.settings.inner;
      result = inner === undefined ? this.task(attempt) : runInside(inner, this.task, attempt);
    } catch (error) {
      if (!attempt.raced) return Promise.reject(error);
      const race = (attempt.race ?? attempt.openRace()) as Promise<T>;
      attempt.failWith(error);
      return race;
    }
    if (!attempt.raced) return Promise.resolve(result);
    // The task settles the race itself: it opened it (settlesItself) before its work ended.
    if (attempt.race !== undefined) return attempt.race as Promise<T>;
    return attempt.raceWith(result) as Promise<T>;
  }

  /**
   * Ends the attempt (never aborts its signal): forgets its timeout, tells the
   * breaker how it went and records its duration. Returns the clock time it
   * read, or -1 when it needed none.
   */
  private closeAttempt(error: unknown): number {
    const current = this.#current;
    this.#current = undefined;
    if (this.#attemptAt !== Number.POSITIVE_INFINITY) {
      this.#attemptAt = Number.POSITIVE_INFINITY;
      if (current !== undefined) this.settings.timers.attempts.remove(current);
    }
    const breaker = this.#breaker;
    if (breaker === undefined && this.#attemptStartMs < 0) return -1;
    const nowMs = now();
    if (breaker !== undefined) {
      const permit = this.#permit;
      this.#breaker = undefined;
      this.#permit = NOT_A_PROBE;
      if (error === undefined) breaker.succeeded(permit, nowMs, this.#attempt);
      // A caller's abort, or an error the breaker is told to ignore, says nothing about the downstream.
      else if (isBulwarkError(error, ErrorCode.Aborted) || !this.layers.breaker!.isFailure(error)) {
        breaker.released(permit);
      } else breaker.failed(permit, nowMs, this.#attempt, error);
    }
    // The only attempt of a call that succeeds first time is recorded as the call (recordCall):
    // one recording per call on the common path (the `policy-otel` scenario,
    // benchmarks/scenarios/policy-otel.mjs).
    if (this.#attemptStartMs >= 0 && (error !== undefined || this.#attempt > 1)) {
      this.layers.telemetry?.recordAttempt(nowMs - this.#attemptStartMs, error);
    }
    return nowMs;
  }

  /** Waits `delayMs` before the next attempt; rejects at once when the call is interrupted. */
  private sleep(delayMs: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wait = undefined;
        resolve();
      }, delayMs);
      this.#wait = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
  }

  /** The call failed with `error`: counted, its timer and bulkhead slot released. Returns `error`. */
  private failedWith(error: unknown): unknown {
    this.settings.counts.failures++;
    this.end();
    this.recordCall(error);
    return error;
  }

  /**
   * Records the call's duration, from its arrival to `endMs` (-1: now), when
   * metered; `error` undefined on success.
   */
  private recordCall(error: unknown, endMs = -1): void {
    if (!this.metered) return;
    this.layers.telemetry?.recordCall((endMs < 0 ? now() : endMs) - this.#runMs, error);
  }

  /** The call settled: its timers go, and its bulkhead slot passes on. */
  private end(): void {
    const timers = this.settings.timers;
    timers.deadlines.remove(this as Call<unknown>);
    // Only the attempt in progress can be listed: closing an attempt unlists it.
    if (this.#current !== undefined) timers.attempts.remove(this.#current);
    this.#bulkhead?.release();
    this.#bulkhead = undefined;
  }

  /** Stops the call for good: aborts the attempt in progress and any wait. */
  private interrupt(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#current?.fail(error);
    const wait = this.#wait;
    this.#wait = undefined;
    wait?.(error);
  }

  /** The total deadline passed (seen by the timers, or by an attempt about to open). */
  passDeadline(): void {
    if (this.#failure !== undefined) return;
    const { name, totalTimeoutMs, events } = this.settings;
    const error = deadlineExceeded(name, totalTimeoutMs ?? 0, this.#lastError);
    events.emit(ResilienceEventName.DeadlineExceeded, this.#key, this.#attempt, this.#lastError);
    this.interrupt(error);
  }

  /** The attempt in progress ran out of time (seen by the timers). */
  timeOutAttempt(): void {
    const current = this.#current;
    this.#attemptAt = Number.POSITIVE_INFINITY;
    if (current === undefined) return;
    const error = attemptTimedOut(this.settings.name, this.settings.attemptTimeoutMs ?? 0);
    this.settings.events.emit(
      ResilienceEventName.AttemptTimeout,
      this.#key,
      current.attempt,
      error,
    );
    current.fail(error);
  }
}

/**
 * Told when an attempt is stopped (its timeout, the total deadline, the
 * caller's abort) without an `AbortSignal` being made for it: `createFetch()`
 * cancels its exchange this way, because a signal per attempt was the largest
 * part of its cost per call (benchmarks/scenarios/http-client.mjs).
 */
export interface AttemptStopWatcher {
  attemptStopped(reason: unknown): void;
}

/** The attempt behind `context` when it is one of `resilient()`'s own, to watch with {@link Attempt.watch}. */
export function watchableAttempt(context: AttemptContext): Attempt | undefined {
  return context instanceof Attempt ? context : undefined;
}

/** The attempt context handed to `fn`; see {@link AttemptContext}. */
export class Attempt implements AttemptContext, Due<Attempt> {
  /** Links in the pipeline's attempt queue ({@link DueList}) while its timeout is watched. */
  duePrev: Attempt | undefined;
  dueNext: Attempt | undefined;
  dueListed = false;
  /** Clock time this attempt times out, while it is listed. */
  dueAt = Number.POSITIVE_INFINITY;
  readonly #call: Call<unknown>;
  private controller: AbortController | undefined;
  /** One watcher at most: the attempt's own exchange. */
  private watcher: AttemptStopWatcher | undefined;
  /** Why this attempt was stopped, once it was. */
  failure: unknown;
  /** The settlers of the attempt's race ({@link openRace}), when it has one. */
  #resolveRace: ((value: unknown) => void) | undefined;
  #rejectRace: ((error: unknown) => void) | undefined;
  /** Whether something can stop this attempt (timeout, deadline, abort): its outcome is then raced. */
  raced = false;
  /** The race opened by {@link openRace}, if any (a task that settles itself, a task that threw). */
  race: Promise<unknown> | undefined;

  /**
   * @param deadlineAt Clock time of the call's total deadline (Infinity with
   *   that layer off): read directly by `createFetch()`, which bounds the
   *   response body by it, rather than rebuilt from {@link remainingMs} and
   *   two clock reads (benchmarks/scenarios/http-client.mjs).
   */
  constructor(
    readonly attempt: number,
    readonly deadlineAt: number,
    call: Call<unknown>,
  ) {
    this.#call = call;
  }

  /** Its timeout passed (seen by the timers): the call times it out. */
  timeOut(): void {
    this.#call.timeOutAttempt();
  }

  get remainingMs(): number {
    return Math.max(0, this.deadlineAt - now());
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.failure !== undefined) this.controller.abort(this.failure);
    }
    return this.controller.signal;
  }

  /** Tells `watcher` when this attempt stops (at once if it has), until {@link unwatch}. */
  watch(watcher: AttemptStopWatcher): void {
    if (this.failure !== undefined) watcher.attemptStopped(this.failure);
    else this.watcher = watcher;
  }

  /** `watcher` no longer needs to hear of this attempt. */
  unwatch(watcher: AttemptStopWatcher): void {
    if (this.watcher === watcher) this.watcher = undefined;
  }

  /** Stops this attempt: aborts its signal (if anyone read it), tells its watcher, rejects its race. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.controller?.abort(error);
    const watcher = this.watcher;
    this.watcher = undefined;
    watcher?.attemptStopped(error);
    this.#rejectRace?.(error);
  }

  /**
   * For a task that settles this attempt itself, with {@link succeed} or
   * {@link failWith}, in the `then` where its own work ends: the call then
   * does not read the promise the task returns, which saves a promise per
   * attempt (`createFetch()`, benchmarks/scenarios/http-client.mjs). Such a
   * task must settle the attempt exactly once, never reject the promise it
   * returns. True when it may; false when the attempt has no race (nothing
   * can interrupt it) and the call reads the task's promise as usual.
   */
  settlesItself(): boolean {
    if (!this.raced) return false;
    if (this.race === undefined) this.openRace();
    return true;
  }

  /** The task succeeded with `value` (see {@link settlesItself}); nothing once the race is settled. */
  succeed(value: unknown): void {
    this.#resolveRace?.(value);
  }

  /** The task failed with `error` (see {@link settlesItself}); nothing once the race is settled. */
  failWith(error: unknown): void {
    this.#rejectRace?.(error);
  }

  /**
   * Opens the race of an attempt that can be interrupted (its outcome or its
   * stop, the first to come) for the task to settle ({@link settlesItself}),
   * or when the task threw. A stop that came first loses it at once.
   */
  openRace(): Promise<unknown> {
    const race = promiseWithoutExecutor();
    this.race = race;
    this.#resolveRace = capturedResolve;
    this.#rejectRace = capturedReject;
    // Not kept: they would hold this attempt's race (and its value) until the next one.
    capturedResolve = undefined;
    capturedReject = undefined;
    if (this.failure !== undefined) this.#rejectRace?.(this.failure);
    return race;
  }

  /**
   * The race of `result`, the promise (or value) a task that does not settle
   * itself returned, opened once it has returned: a stop inside the task
   * loses it at once, and a failure of the task's promise is still handled.
   * An executor closure over `result` here, not the shared executor of
   * {@link openRace}: it takes fewer instructions per call on the success
   * path of the `policy` scenario (benchmarks/profile/policy-cpu.mjs).
   */
  raceWith(result: unknown): Promise<unknown> {
    const race = new Promise((resolve, reject) => {
      this.#rejectRace = reject;
      Promise.resolve(result).then(resolve, reject);
    });
    if (this.failure !== undefined) this.#rejectRace?.(this.failure);
    return race;
  }
}

/** The settlers of the promise {@link promiseWithoutExecutor} just made, read at once by its caller. */
let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

function captureSettlers(
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * A new pending promise, its settlers left in `capturedResolve` and
 * `capturedReject`: one shared executor instead of a closure per attempt
 * (benchmarks/scenarios/http-client.mjs).
 */
function promiseWithoutExecutor(): Promise<unknown> {
  return new Promise(captureSettlers);
}

/**
 * The timers of one pipeline's calls in flight: total deadlines and attempt
 * timeouts. Every call of a pipeline has the same total timeout and every
 * attempt the same attempt timeout, on a monotonic clock, so entries added in
 * time order also fall due in that order: a FIFO ({@link DueList}) is a queue
 * by due time, with O(1) add and remove. One slot on the shared timer wheel
 * (timer-wheel.ts), armed at the earliest time an entry may fall due, serves
 * them all; a call re-arms it only when it falls due before the slot does, so
 * the success path of the `policy` scenario (benchmarks/scenarios/policy.mjs)
 * links and unlinks two entries and touches no timer. Like the wheel, a
 * timeout fires up to one tick late, never early.
 */
export class CallTimers {
  /** Calls with a total deadline, in the order their deadlines fall due. */
  readonly deadlines = new DueList<Call<unknown>>();
  /** Attempts in progress that have a timeout of their own, in the order they fall due. */
  readonly attempts = new DueList<Attempt>();
  readonly #slot = new TimerSlot(() => this.due());
  /** When the slot is due; Infinity when it is not scheduled. */
  #armedAt = Number.POSITIVE_INFINITY;

  /** Watches a call's total deadline, set at clock time `nowMs`. */
  addDeadline(call: Call<unknown>, nowMs: number): void {
    this.deadlines.push(call);
    this.watch(call.dueAt, nowMs);
  }

  /** Watches the timeout of a call's attempt, opened at clock time `nowMs`. */
  addAttempt(attempt: Attempt, nowMs: number): void {
    this.attempts.push(attempt);
    this.watch(attempt.dueAt, nowMs);
  }

  /**
   * Makes the slot fire by `atMs`. A slot still armed for a time already
   * passed never fired (fake timers came or went): scheduling it again lets
   * the wheel start over.
   */
  private watch(atMs: number, nowMs: number): void {
    if (atMs >= this.#armedAt && this.#armedAt > nowMs) return;
    this.#armedAt = Math.min(atMs, this.#armedAt);
    this.#slot.schedule(this.#armedAt);
  }

  /** The slot is due: every timeout passed fires, earliest first; the slot re-arms for the next. */
  private due(): void {
    this.#armedAt = Number.POSITIVE_INFINITY;
    const nowMs = now();
    // Attempt timeouts before deadlines: when both passed, the attempt's came first.
    for (let attempt = this.attempts.head; attempt !== undefined && attempt.dueAt <= nowMs; ) {
      this.attempts.remove(attempt);
      attempt.timeOut();
      attempt = this.attempts.head;
    }
    for (let call = this.deadlines.head; call !== undefined && call.dueAt <= nowMs; ) {
      this.deadlines.remove(call);
      call.passDeadline();
      call = this.deadlines.head;
    }
    const next = Math.min(
      this.attempts.head?.dueAt ?? Number.POSITIVE_INFINITY,
      this.deadlines.head?.dueAt ?? Number.POSITIVE_INFINITY,
    );
    if (next !== Number.POSITIVE_INFINITY) this.watch(next, nowMs);
  }
}

/**
 * What a {@link DueList} holds: its own links (the entry is the call or the
 * attempt itself, no object made to list it) and when it falls due.
 */
interface Due<T> {
  duePrev: T | undefined;
  dueNext: T | undefined;
  dueListed: boolean;
  readonly dueAt: number;
}

/**
 * A FIFO of entries as a doubly linked list, so a call that settles leaves
 * it at once, wherever it is (a `Set` would do, but deleting its last entry
 * shrinks and reallocates its table on every call).
 */
class DueList<T extends Due<T>> {
  head: T | undefined;
  private tail: T | undefined;

  push(entry: T): void {
    entry.duePrev = this.tail;
    entry.dueNext = undefined;
    entry.dueListed = true;
    if (this.tail === undefined) this.head = entry;
    else this.tail.dueNext = entry;
    this.tail = entry;
  }

  /** Unlinks `entry`; a no-op when it is not listed. */
  remove(entry: T): void {
    if (!entry.dueListed) return;
    entry.dueListed = false;
    if (entry.duePrev === undefined) this.head = entry.dueNext;
    else entry.duePrev.dueNext = entry.dueNext;
    if (entry.dueNext === undefined) this.tail = entry.duePrev;
    else entry.dueNext.duePrev = entry.duePrev;
    entry.duePrev = undefined;
    entry.dueNext = undefined;
  }
}

/**
 * The resilience clock (see clock.ts: monotonic, and faked by fake timers),
 * read here rather than imported so that a successful call runs in the files
 * of its policies alone (test/resilience/walk.test.ts).
 */
function now(): number {
  return performance.now();
}
