import type { IPolicy } from 'cockatiel';
import type { CircuitBreaker } from './circuit-breaker.js';
import { Attempt, type ExecuteOptions } from './context.js';
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { aborted, attemptTimedOut, deadlineExceeded } from './failures.js';
import { runInside, type Task } from './inner-policy.js';
import { schedule, type TimerEntry, type TimerOwner } from './timer-wheel.js';

const DEADLINE = 0;
const ATTEMPT_TIMEOUT = 1;

/** What a call needs to know about its pipeline. */
export interface CallSettings {
  readonly name: string;
  readonly events: ResilienceEvents;
  /** Total deadline in ms, or undefined when the deadline layer is off. */
  readonly totalTimeoutMs: number | undefined;
  /** Attempt timeout in ms, or undefined when that layer is off. */
  readonly attemptTimeoutMs: number | undefined;
  /** A cockatiel policy run around each attempt, if any. */
  readonly inner: IPolicy | undefined;
}

/**
 * The state of one `execute` call across its attempts. Once `failure` is set
 * (caller abort or deadline) it never clears, every wait is rejected at once,
 * and no attempt may start: this is how "no attempt after abort" holds.
 */
export class Call<T> implements TimerOwner, EventListenerObject {
  attempt = 0;
  deadlineAt = Number.POSITIVE_INFINITY;
  failure: unknown;
  lastError: unknown;
  /** Rejects the pending backoff sleep or bulkhead wait, if any. */
  wait: ((error: unknown) => void) | undefined;
  /** Breaker key of the attempt in progress, for events. */
  key: string | undefined;
  /** The breaker of the attempt in progress and its permit (see `CircuitBreaker.admit`). */
  breaker: CircuitBreaker | undefined;
  permit = 0;
  /** Whether attempt durations are recorded (an OTel SDK is registered). */
  metered = false;
  /** Clock time the attempt in progress started, or -1 when it is not timed. */
  attemptStartMs = -1;
  private current: Attempt | undefined;
  private deadlineTimer: TimerEntry | undefined;
  private attemptTimer: TimerEntry | undefined;

  constructor(
    readonly settings: CallSettings,
    readonly task: Task<T>,
    readonly options: ExecuteOptions,
  ) {}

  /** Stops the call for good: aborts the attempt in progress and any wait. */
  interrupt(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.current?.fail(error);
    const wait = this.wait;
    this.wait = undefined;
    wait?.(error);
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.interrupt(aborted(this.settings.name, this.options.signal?.reason));
  }

  onTimer(kind: number): void {
    if (kind === DEADLINE) this.passDeadline();
    else this.timeOutAttempt();
  }

  /** Starts the total deadline, counted from `startMs`. */
  startDeadline(startMs: number, totalMs: number): void {
    this.deadlineAt = startMs + totalMs;
    this.deadlineTimer = schedule(this.deadlineAt, this, DEADLINE);
  }

  /** Ends the total deadline's timer (the call settled). */
  stopDeadline(): void {
    this.deadlineTimer?.cancel();
  }

  /**
   * Throws the call's failure when it was interrupted or its deadline has
   * passed: called before each attempt, since the shared timer may fire one
   * tick late. No attempt starts past this point otherwise.
   */
  assertRunnable(nowMs: number): void {
    if (this.failure === undefined && nowMs >= this.deadlineAt) this.passDeadline();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Runs one attempt of the task, raced against its interruption (timeout, deadline, abort). */
  runAttempt(nowMs: number): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const attempt = new Attempt(++this.attempt, this.deadlineAt);
    this.current = attempt;
    this.armAttemptTimeout(nowMs);
    let result: PromiseLike<T> | T;
    try {
      const inner = this.settings.inner;
      result = inner === undefined ? this.task(attempt) : runInside(inner, this.task, attempt);
    } catch (error) {
      return Promise.reject(error);
    }
    // Nothing can interrupt the attempt: skip the race and its closure.
    if (this.deadlineAt === Number.POSITIVE_INFINITY && this.attemptTimer === undefined) {
      if (this.options.signal === undefined) return Promise.resolve(result);
    }
    return new Promise<T>((resolve, reject) => {
      attempt.reject = reject;
      Promise.resolve(result).then(resolve, reject);
    });
  }

  /** Ends the attempt in progress: clears its timeout (never aborts its signal). */
  endAttempt(): void {
    this.current = undefined;
    this.attemptTimer?.cancel();
    this.attemptTimer = undefined;
  }

  /** Waits `delayMs` before the next attempt; rejects at once when the call is interrupted. */
  sleep(delayMs: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wait = undefined;
        resolve();
      }, delayMs);
      this.wait = (error) => {
        clearTimeout(timer);
        reject(error);
      };
    });
  }

  private armAttemptTimeout(nowMs: number): void {
    const timeoutMs = this.settings.attemptTimeoutMs;
    if (timeoutMs === undefined) return;
    const at = nowMs + timeoutMs;
    // Cut to the deadline: when the deadline comes first, its timer covers the attempt.
    if (at < this.deadlineAt) this.attemptTimer = schedule(at, this, ATTEMPT_TIMEOUT);
  }

  private passDeadline(): void {
    if (this.failure !== undefined) return;
    const { name, totalTimeoutMs, events } = this.settings;
    const error = deadlineExceeded(name, totalTimeoutMs ?? 0, this.lastError);
    events.emit(ResilienceEventName.DeadlineExceeded, this.key, this.attempt, this.lastError);
    this.interrupt(error);
  }

  private timeOutAttempt(): void {
    const current = this.current;
    if (current === undefined) return;
    const error = attemptTimedOut(this.settings.name, this.settings.attemptTimeoutMs ?? 0);
    this.settings.events.emit(ResilienceEventName.AttemptTimeout, this.key, current.attempt, error);
    current.fail(error);
  }
}
