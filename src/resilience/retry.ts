import { ErrorCode, invalidOption, isBulwarkError } from '../errors.js';
import { backoffDelay, type Jitter } from './backoff.js';
import type { Call } from './call.js';
import { now } from './clock.js';
import type { ExecuteOptions } from './context.js';
import { ResilienceEventName } from './events.js';
import { budgetExhausted, noTimeForRetry, retryAfterTooLong } from './failures.js';
import { KeyedRegistry } from './keyed.js';
import type { RetryBudget } from './retry-budget.js';
import { type RetryBudgetOptions, resolveRetryBudget } from './retry-options.js';
import { isTransientError } from './transient.js';
import { checkFunction, checkKnownFields, checkNumber, checkSection } from './validate.js';

export type { RetryBudgetOptions } from './retry-options.js';

/** Options of the retry layer (`resilient(name, { retry })`). */
export interface RetryOptions {
  /** Retries after the first attempt (3 = up to 4 attempts). Integer 0-10. Default 3. */
  maxRetries?: number;
  /** Smallest delay before a retry, in ms; never 0. Default 200. */
  baseDelayMs?: number;
  /** Largest computed backoff, in ms. Default 20_000. */
  maxDelayMs?: number;
  /** `decorrelated` (default) or `full` jitter; see {@link Jitter}. */
  jitter?: Jitter;
  /**
   * Whether an error may be retried, given the attempt that failed (1 = first).
   * Default {@link isTransientError}. Bulwark's own fast-fail and deadline
   * errors are never retried, whatever this returns.
   */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Honour a numeric `retryAfterMs` on the thrown error (the server's
   * `Retry-After`): wait at least that long, or fail at once with
   * `BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE` when the deadline leaves less. Default true.
   */
  honorRetryAfter?: boolean;
  /** The retry budget, or `false` for none. Default: see {@link RetryBudgetOptions}. */
  budget?: RetryBudgetOptions | false;
  /** Uniform random source in [0, 1) for the jitter; for tests. Default `Math.random`. */
  random?: () => number;
}

/** Defaults of {@link RetryOptions}. */
export const RETRY_DEFAULTS = {
  maxRetries: 3,
  baseDelayMs: 200,
  maxDelayMs: 20_000,
  jitter: 'decorrelated',
  honorRetryAfter: true,
} as const;

/** The hard ceiling on retries, whatever the options: no unbounded attempts. */
export const MAX_RETRIES = 10;

const FIELDS = [
  'maxRetries',
  'baseDelayMs',
  'maxDelayMs',
  'jitter',
  'shouldRetry',
  'honorRetryAfter',
  'budget',
  'random',
];

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
  readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly jitter: Jitter;
  private readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  private readonly honorRetryAfter: boolean;
  private readonly random: () => number;
  private readonly budgets: KeyedRegistry<RetryBudget> | undefined;
  private readonly budgetKey: (options: ExecuteOptions) => string | undefined;

  constructor(scope: string, options: RetryOptions) {
    checkKnownFields(scope, 'retry.', options, FIELDS);
    const o = { ...RETRY_DEFAULTS, ...options };
    this.maxRetries = checkNumber(scope, 'retry.maxRetries', o.maxRetries, 0, MAX_RETRIES, true);
    this.baseDelayMs = checkNumber(scope, 'retry.baseDelayMs', o.baseDelayMs, 1, 3_600_000);
    this.maxDelayMs = checkNumber(
      scope,
      'retry.maxDelayMs',
      o.maxDelayMs,
      this.baseDelayMs,
      3_600_000,
    );
    if (o.jitter !== 'full' && o.jitter !== 'decorrelated') {
      throw invalidJitter(scope, o.jitter);
    }
    this.jitter = o.jitter;
    checkFunction(scope, 'retry.shouldRetry', o.shouldRetry);
    checkFunction(scope, 'retry.random', o.random);
    this.shouldRetry = o.shouldRetry ?? isTransientError;
    this.honorRetryAfter = o.honorRetryAfter !== false;
    this.random = o.random ?? Math.random;
    checkSection(scope, 'retry.budget', o.budget);
    const budget = o.budget === false ? undefined : resolveRetryBudget(scope, o.budget ?? {});
    this.budgets = budget && new KeyedRegistry(budget.maxKeys, () => budget.create());
    this.budgetKey = budget?.keyBy ?? keyOfCall;
  }

  /** Records a new call in its key's budget (each call deposits a fraction of a retry). */
  recordCall(call: Call<unknown>, nowMs: number): void {
    this.budgets?.get(this.budgetKey(call.options) ?? '').recordCall(nowMs);
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
    const serverMs = this.honorRetryAfter ? retryAfterOf(error) : undefined;
    if (serverMs !== undefined && serverMs >= remainingMs) {
      throw retryAfterTooLong(name, serverMs, remainingMs, error);
    }
    const backoffMs = backoffDelay({
      jitter: this.jitter,
      baseDelayMs: this.baseDelayMs,
      maxDelayMs: this.maxDelayMs,
      retry: call.attempt,
      previousMs,
      random: this.random,
    });
    // The server's delay wins when it asks for more, and replaces a backoff that would not fit.
    const delayMs =
      serverMs === undefined || backoffMs >= remainingMs
        ? (serverMs ?? backoffMs)
        : Math.max(serverMs, backoffMs);
    if (delayMs >= remainingMs) {
      events.emit(ResilienceEventName.DeadlineExceeded, call.key, call.attempt, error);
      throw noTimeForRetry(name, delayMs, remainingMs, error);
    }
    const budgets = this.budgets;
    if (budgets !== undefined && !budgets.get(this.budgetKey(call.options) ?? '').tryRetry(nowMs)) {
      events.emit(ResilienceEventName.RetryBudgetExhausted, call.key, call.attempt, error);
      throw budgetExhausted(name, error);
    }
    events.emit(ResilienceEventName.Retry, call.key, call.attempt, error, delayMs);
    return delayMs;
  }

  private retryable(call: Call<unknown>, error: unknown): boolean {
    if (call.options.retry === false || call.attempt > this.maxRetries) return false;
    if (isBulwarkError(error) && NEVER_RETRIED.has(error.code)) return false;
    return this.shouldRetry(error, call.attempt) === true;
  }
}

function keyOfCall(options: ExecuteOptions): string | undefined {
  return options.key;
}

/** A non-negative finite `retryAfterMs` on the error, if it carries one. */
function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? value : undefined;
}

function invalidJitter(scope: string, value: unknown) {
  return invalidOption(scope, 'retry.jitter', value, '"full" or "decorrelated"');
}
