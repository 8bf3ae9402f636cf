import { ErrorCode, isBulwarkError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { Call } from './call.js';
import { RollingWindow } from './circuit-breaker.js';
import { now } from './clock.js';
import type { ExecuteOptions } from './context.js';
import { ResilienceEventName } from './events.js';
import { budgetExhausted, noTimeForRetry, retryAfterTooLong } from './failures.js';
import type { KeyedEntry } from './keyed-registry.js';
import type { ResolvedRetryOptions } from './retry-options.js';

/** Failures that retrying can only make worse, or that the caller asked for. */
const NEVER_RETRIED: ReadonlySet<string> = new Set([
  ErrorCode.CircuitOpen,
  ErrorCode.BulkheadFull,
  ErrorCode.DeadlineExceeded,
  ErrorCode.RetryBudgetExhausted,
  ErrorCode.RetryAfterExceedsDeadline,
  ErrorCode.Aborted,
]);

/** The retry layer of one pipeline. */
export class RetryLayer {
  constructor(readonly settings: ResolvedRetryOptions) {}

  /** Records a new call in its key's budget (each call deposits a fraction of a retry). */
  recordCall(call: Call<unknown>, nowMs: number): void {
    // A new key finding every budget spent deposits nothing: it will get no retry anyway.
    this.budgetFor(call.options)?.recordCall(nowMs);
  }

  /**
   * Decides what follows the failed attempt: returns the delay before the
   * next one, or throws the error the call fails with. The order of the
   * checks is the contract: interrupted, not retryable, out of attempts,
   * server delay past the deadline, backoff past the deadline, budget spent.
   */
  nextDelay(call: Call<unknown>, error: unknown, previousMs: number): number {
    if (call.failure !== undefined) throw call.failure;
    if (!this.retryable(call, error)) throw error;
    const { name, events } = call.settings;
    const nowMs = now();
    const remainingMs = call.deadlineAt - nowMs;
    const serverMs = this.settings.honorRetryAfter ? retryAfterOf(error) : undefined;
    // With no deadline, maxDelayMs bounds how long a server may park the call.
    const serverLimitMs = Number.isFinite(remainingMs) ? remainingMs : this.settings.maxDelayMs + 1;
    if (serverMs !== undefined && serverMs >= serverLimitMs) {
      throw retryAfterTooLong(name, serverMs, serverLimitMs, error);
    }
    const backoffMs = backoffDelay(this.settings, call.attempt, previousMs);
    // The server's delay wins when it asks for more, and replaces a backoff that would not fit.
    const delayMs =
      serverMs === undefined || backoffMs >= remainingMs
        ? (serverMs ?? backoffMs)
        : Math.max(serverMs, backoffMs);
    if (delayMs >= remainingMs) {
      events.emit(ResilienceEventName.DeadlineExceeded, call.key, call.attempt, error);
      throw noTimeForRetry(name, delayMs, remainingMs, error);
    }
    // No budget for the key (every slot holds a spent one) means no retry: fail safe.
    const budget = this.budgetFor(call.options);
    if (this.settings.budgets !== undefined && (budget === undefined || !budget.tryRetry(nowMs))) {
      events.emit(ResilienceEventName.RetryBudgetExhausted, call.key, call.attempt, error);
      throw budgetExhausted(name, error);
    }
    events.emit(ResilienceEventName.Retry, call.key, call.attempt, error, delayMs);
    return delayMs;
  }

  /** The budget a call draws from; undefined with no budget, or when its new key finds every one spent. */
  private budgetFor(options: ExecuteOptions): RetryBudget | undefined {
    const { budgets, budgetKey } = this.settings;
    if (budgets === undefined) return undefined;
    const key = budgetKey(options) ?? '';
    return key === '' ? (budgets.unkeyed ?? budgets.get(key)) : budgets.get(key);
  }

  private retryable(call: Call<unknown>, error: unknown): boolean {
    if (call.options.retry === false || call.attempt > this.settings.maxRetries) return false;
    if (isBulwarkError(error) && NEVER_RETRIED.has(error.code)) return false;
    return this.settings.shouldRetry(error, call.attempt) === true;
  }
}

/** A non-negative finite `retryAfterMs` on the error, if it carries one. */
function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? value : undefined;
}

/** The default budget key: the call's `key` (one budget per downstream). */
export function keyOfCall(options: ExecuteOptions): string | undefined {
  return options.key;
}

/**
 * A Finagle-style retry budget for one key: over a sliding window, retries
 * may add at most `ratio` of the calls made, plus a floor of
 * `minRetriesPerSecond` so a quiet service can still retry. When the
 * downstream fails for everyone, retries stop multiplying the load by four
 * and fall back to about `1 + ratio` times. O(1) per call.
 */
export class RetryBudget implements KeyedEntry {
  private readonly window: RollingWindow;
  private readonly floor: number;

  constructor(
    private readonly ratio: number,
    minRetriesPerSecond: number,
    windowMs: number,
  ) {
    this.window = new RollingWindow(windowMs);
    this.floor = (minRetriesPerSecond * windowMs) / 1000;
  }

  /** Records one call (a first attempt): it deposits `ratio` of a retry. */
  recordCall(nowMs: number): void {
    this.window.add(nowMs, 1, 0);
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(nowMs: number): boolean {
    const window = this.window;
    window.advance(nowMs);
    // The epsilon keeps a budget of exactly N retries from refusing the N-th by a rounding error.
    if (window.marked + 1 > this.floor + this.ratio * window.total + 1e-9) return false;
    window.add(nowMs, 0, 1);
    return true;
  }

  /** True while retries were spent in the window: forgetting them would hand out a fresh budget. */
  isLive(): boolean {
    this.window.advance(now());
    return this.window.marked > 0;
  }

  /** Retries left in the window now, and the window's allowance, for the status page. */
  reading(nowMs: number): { remaining: number; allowed: number } {
    const window = this.window;
    window.advance(nowMs); // expiry only, as every add does first
    const allowed = this.floor + this.ratio * window.total;
    return { remaining: Math.max(0, allowed - window.marked), allowed };
  }
}
