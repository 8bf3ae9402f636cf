import { invalidOption } from '../errors.js';
import type { Jitter } from './backoff.js';
import type { ExecuteOptions } from './context.js';
import { KeyedRegistry } from './keyed-registry.js';
import {
  checkFunction,
  checkKnownFields,
  checkNumber,
  checkSection,
  definedFields,
} from './option-checks.js';
import { keyOfCall, RetryBudget } from './retry.js';
import { isTransientError } from './transient.js';

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
export interface ResolvedRetryOptions {
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
export function resolveRetryOptions(scope: string, options: RetryOptions): ResolvedRetryOptions {
  checkKnownFields(scope, 'retry.', options, FIELDS);
  const o = { ...RETRY_DEFAULTS, ...definedFields(options) };
  const baseDelayMs = checkNumber(scope, 'retry.baseDelayMs', o.baseDelayMs, 1, 3_600_000);
  if (o.jitter !== 'full' && o.jitter !== 'decorrelated') {
    throw invalidOption(scope, 'retry.jitter', o.jitter, '"full" or "decorrelated"');
  }
  checkFunction(scope, 'retry.shouldRetry', o.shouldRetry);
  checkFunction(scope, 'retry.random', o.random);
  checkSection(scope, 'retry.budget', o.budget);
  const budget = o.budget === false ? undefined : resolveRetryBudgetOptions(scope, o.budget ?? {});
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

/** Options of the retry budget (`retry: { budget }`). */
export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of the calls made in the window, 0-1. Default 0.2 (20 %). */
  ratio?: number;
  /** Retries per second allowed whatever the traffic, so a quiet service can retry. Default 10. */
  minRetriesPerSecond?: number;
  /** The sliding window calls and retries are counted over, in ms. Default 10_000. */
  windowMs?: number;
  /**
   * Which budget a call draws from. Default: the call's `key` (one budget per
   * downstream), or one budget for the pipeline when calls carry no key.
   */
  keyBy?: (options: ExecuteOptions) => string | undefined;
  /**
   * Most keys with a budget at once. Beyond it a new key takes the slot of the
   * least recently used budget with no retries spent in its window; a spent
   * budget is never dropped, and when every one is spent the new key's calls
   * get no retry (`BULWARK_RETRY_BUDGET_EXHAUSTED`). Default 1_000.
   */
  maxKeys?: number;
}

/** Defaults of {@link RetryBudgetOptions}. */
export const RETRY_BUDGET_DEFAULTS = {
  ratio: 0.2,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
  maxKeys: 1_000,
} as const;

const BUDGET_FIELDS = ['ratio', 'minRetriesPerSecond', 'windowMs', 'keyBy', 'maxKeys'];

/** Validated budget settings and a factory of per-key budgets. */
interface ResolvedRetryBudgetOptions {
  readonly maxKeys: number;
  readonly keyBy: ((options: ExecuteOptions) => string | undefined) | undefined;
  create(): RetryBudget;
}

/** Validates budget options at construction; the errors name the field. */
function resolveRetryBudgetOptions(
  scope: string,
  options: RetryBudgetOptions,
): ResolvedRetryBudgetOptions {
  checkKnownFields(scope, 'retry.budget.', options, BUDGET_FIELDS);
  const o = { ...RETRY_BUDGET_DEFAULTS, ...definedFields(options) };
  const ratio = checkNumber(scope, 'retry.budget.ratio', o.ratio, 0, 1);
  const perSecond = checkNumber(
    scope,
    'retry.budget.minRetriesPerSecond',
    o.minRetriesPerSecond,
    0,
    1e6,
  );
  const windowMs = checkNumber(scope, 'retry.budget.windowMs', o.windowMs, 100, 3_600_000);
  const maxKeys = checkNumber(scope, 'retry.budget.maxKeys', o.maxKeys, 1, 1e6, true);
  checkFunction(scope, 'retry.budget.keyBy', o.keyBy);
  return {
    maxKeys,
    keyBy: o.keyBy,
    create: () => new RetryBudget(ratio, perSecond, windowMs),
  };
}
