import { now } from './clock.js';
import type { ExecuteOptions } from './context.js';
import type { KeyedEntry } from './keyed.js';
import { RollingWindow } from './rolling-window.js';
import { checkFunction, checkKnownFields, checkNumber, definedFields } from './validate.js';

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

const FIELDS = ['ratio', 'minRetriesPerSecond', 'windowMs', 'keyBy', 'maxKeys'];

/** Validated budget settings and a factory of per-key budgets. */
export interface ResolvedRetryBudget {
  readonly maxKeys: number;
  readonly keyBy: ((options: ExecuteOptions) => string | undefined) | undefined;
  create(): RetryBudget;
}

/** Validates budget options at construction; the errors name the field. */
export function resolveRetryBudget(
  scope: string,
  options: RetryBudgetOptions,
): ResolvedRetryBudget {
  checkKnownFields(scope, 'retry.budget.', options, FIELDS);
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
