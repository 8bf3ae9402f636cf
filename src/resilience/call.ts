import type { IPolicy } from 'cockatiel';
import type { CallCounts } from './call-counts.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { now } from './clock.js';
import { Attempt, type ExecuteOptions } from './context.js';
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { aborted, attemptTimedOut, deadlineExceeded } from './failures.js';
import { runInside, type Task } from './inner-policy.js';
import { schedule, TimerEntry } from './timer-wheel.js';

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
  /** The pipeline's call and failure counters. */
  readonly counts: CallCounts;
}

/**
 * The state of one `execute` call across its attempts. Once `failure` is set
 * (caller abort or deadline) it never clears, every wait is rejected at once,
 * and no attempt may start: this is how "no attempt after abort" holds.
 *
 * A call is its own entry in the shared timer, and has at most one: it is due
 * at the earlier of the attempt timeout and the deadline, and re-armed for the
 * other when it fires. A successful call schedules once and cancels once.
 */
export class Call<T> extends TimerEntry implements EventListenerObject {
  attempt = 0;
  deadlineAt = Number.POSITIVE_INFINITY;
  /** When the attempt in progress times out; Infinity between attempts or with that layer off. */
  private attemptAt = Number.POSITIVE_INFINITY;
  /** When the call's timer entry is due; Infinity when it is not scheduled. */
  private timerAt = Number.POSITIVE_INFINITY;
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

  constructor(
    readonly settings: CallSettings,
    readonly task: Task<T>,
    readonly options: ExecuteOptions,
  ) {
    super();
  }

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

  /** The timer entry is due: the attempt timeout, the deadline, or both have passed. */
  onTimer(): void {
    this.timerAt = Number.POSITIVE_INFINITY;
    const nowMs = now();
    // The earlier of the two fires first, as two separate timers would.
    if (nowMs >= this.attemptAt) this.timeOutAttempt();
    if (nowMs >= this.deadlineAt) this.passDeadline();
    else if (this.failure === undefined) this.armTimer();
  }

  /**
   * Starts the total deadline, counted from `startMs`. Its timer is armed by
   * the first attempt, together with the attempt timeout: nothing can wait
   * in between.
   */
  startDeadline(startMs: number, totalMs: number): void {
    this.deadlineAt = startMs + totalMs;
  }

  /** Ends the call's timer (the call settled). */
  stopTimers(): void {
    this.cancelTimer();
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
    if (this.timerAt === Number.POSITIVE_INFINITY) {
      if (this.options.signal === undefined) return Promise.resolve(result);
    }
    // The caller may have aborted synchronously inside the task, before the race
    // below existed to be rejected: that failure must still end the attempt.
    if (attempt.failure !== undefined) return Promise.reject(attempt.failure);
    return new Promise<T>((resolve, reject) => {
      attempt.reject = reject;
      Promise.resolve(result).then(resolve, reject);
    });
  }

  /**
   * Ends the attempt in progress (never aborts its signal). Its timeout is
   * only forgotten: a timer entry left due at it re-arms for the deadline
   * when it fires, which keeps the success path to one schedule per call.
   */
  endAttempt(): void {
    this.current = undefined;
    this.attemptAt = Number.POSITIVE_INFINITY;
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
    // Cut to the deadline: when the deadline comes first, it covers the attempt.
    if (timeoutMs !== undefined && nowMs + timeoutMs < this.deadlineAt) {
      this.attemptAt = nowMs + timeoutMs;
    }
    this.armTimer();
  }

  /** Keeps the one timer entry due at the earlier of the attempt timeout and the deadline. */
  private armTimer(): void {
    const at = Math.min(this.attemptAt, this.deadlineAt);
    if (at === this.timerAt) return;
    this.cancelTimer();
    this.timerAt = at;
    if (at !== Number.POSITIVE_INFINITY) schedule(this, at);
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
    this.attemptAt = Number.POSITIVE_INFINITY;
    if (current === undefined) return;
    const error = attemptTimedOut(this.settings.name, this.settings.attemptTimeoutMs ?? 0);
    this.settings.events.emit(ResilienceEventName.AttemptTimeout, this.key, current.attempt, error);
    current.fail(error);
  }
}
