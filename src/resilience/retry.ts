import { ErrorCode, isBulwarkError } from '../errors.js';
import { backoffDelay } from './backoff.js';
import type { Call } from './call.js';
import { now } from './clock.js';
import { ResilienceEventName } from './events.js';
import { budgetExhausted, noTimeForRetry, retryAfterTooLong } from './failures.js';
import type { RetrySettings } from './retry-options.js';

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
  constructor(readonly settings: RetrySettings) {}

  /** Records a new call in its key's budget (each call deposits a fraction of a retry). */
  recordCall(call: Call<unknown>, nowMs: number): void {
    const { budgets, budgetKey } = this.settings;
    // A new key finding every budget spent deposits nothing: it will get no retry anyway.
    budgets?.get(budgetKey(call.options) ?? '')?.recordCall(nowMs);
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
    const { budgets, budgetKey } = this.settings;
    // No budget for the key (every slot holds a spent one) means no retry: fail safe.
    const budget = budgets?.get(budgetKey(call.options) ?? '');
    if (budgets !== undefined && (budget === undefined || !budget.tryRetry(nowMs))) {
      events.emit(ResilienceEventName.RetryBudgetExhausted, call.key, call.attempt, error);
      throw budgetExhausted(name, error);
    }
    events.emit(ResilienceEventName.Retry, call.key, call.attempt, error, delayMs);
    return delayMs;
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
