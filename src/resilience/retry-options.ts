import { invalidOption } from '../errors.js';
import type { Jitter } from './backoff.js';
import type { ExecuteOptions } from './context.js';
import { KeyedRegistry } from './keyed.js';
import { type RetryBudget, type RetryBudgetOptions, resolveRetryBudget } from './retry-budget.js';
import { isTransientError } from './transient.js';
import {
  checkFunction,
  checkKnownFields,
  checkNumber,
  checkSection,
  definedFields,
} from './validate.js';

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
   * Honour a numeric `retryAfterMs` on any thrown error (the server's
   * `Retry-After`): wait at least that long, or fail at once with
   * `BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE` when the deadline leaves less
   * (with the deadline layer off: when it exceeds `maxDelayMs`). Default true.
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

/** Validated retry settings. */
export interface RetrySettings {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: Jitter;
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  readonly honorRetryAfter: boolean;
  readonly random: () => number;
  /** Per-key budgets, or undefined when the budget is off. */
  readonly budgets: KeyedRegistry<RetryBudget> | undefined;
  readonly budgetKey: (options: ExecuteOptions) => string | undefined;
}

/** Validates retry options at construction; the errors name the field. */
export function resolveRetry(scope: string, options: RetryOptions): RetrySettings {
  checkKnownFields(scope, 'retry.', options, FIELDS);
  const o = { ...RETRY_DEFAULTS, ...definedFields(options) };
  const baseDelayMs = checkNumber(scope, 'retry.baseDelayMs', o.baseDelayMs, 1, 3_600_000);
  if (o.jitter !== 'full' && o.jitter !== 'decorrelated') {
    throw invalidOption(scope, 'retry.jitter', o.jitter, '"full" or "decorrelated"');
  }
  checkFunction(scope, 'retry.shouldRetry', o.shouldRetry);
  checkFunction(scope, 'retry.random', o.random);
  checkSection(scope, 'retry.budget', o.budget);
  const budget = o.budget === false ? undefined : resolveRetryBudget(scope, o.budget ?? {});
  return {
    maxRetries: checkNumber(scope, 'retry.maxRetries', o.maxRetries, 0, MAX_RETRIES, true),
    baseDelayMs,
    maxDelayMs: checkNumber(scope, 'retry.maxDelayMs', o.maxDelayMs, baseDelayMs, 3_600_000),
    jitter: o.jitter,
    shouldRetry: o.shouldRetry ?? isTransientError,
    honorRetryAfter: o.honorRetryAfter !== false,
    random: o.random ?? Math.random,
    budgets: budget && new KeyedRegistry(budget.maxKeys, () => budget.create()),
    budgetKey: budget?.keyBy ?? keyOfCall,
  };
}

function keyOfCall(options: ExecuteOptions): string | undefined {
  return options.key;
}
