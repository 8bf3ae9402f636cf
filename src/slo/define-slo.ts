import { WarningCode, warn } from '../warnings.js';
import { BucketRing } from './bucket-ring.js';
import { BURN_RATE_WINDOWS_MS, type BurnRateWindow, errorBudget } from './burn-rate.js';
import { type SloDefinition, toDefinition } from './definition.js';
import { type ResolvedSloOptions, resolveSloOptions, type SloOptions } from './options.js';
import { liveSlos } from './registry.js';
import { isGoodEvent, type SliEvent, selectorMatches } from './sli-event.js';
import { sloMetrics } from './slo-metrics.js';
import { buildSnapshot, type SloSnapshot } from './snapshot.js';

/** Fine buckets serve the short windows (5 min to 1 h) to within 10 s. */
const FINE_BUCKET_MS = 10_000;
const FINE_SPAN_MS = BURN_RATE_WINDOWS_MS['1h'];
/** Coarse buckets serve the SLO window and the long burn windows (2 h to 3 d) to within 5 min. */
const COARSE_BUCKET_MS = 5 * 60_000;
const LONGEST_BURN_WINDOW_MS = BURN_RATE_WINDOWS_MS['3d'];
const DAY_MS = 24 * 60 * 60_000;

/** A live SLO: feed it requests, read its budget and burn rates. */
export interface Slo {
  /** The SLO as declared, with defaults applied. */
  readonly definition: SloDefinition;
  /** Counts one finished request if the selector matches it; never throws. */
  record(event: SliEvent): void;
  /** True when the selector counts `event`. */
  matches(event: SliEvent): boolean;
  /** Good/total, budget and burn rates now. O(window buckets): for reports, not per request. */
  snapshot(): SloSnapshot;
  /** True while the error budget is spent; O(1), cheap enough to read per request. */
  readonly budgetExhausted: boolean;
  /**
   * Calls `listener` each time the budget becomes spent (checked on `record()`,
   * `snapshot()` and `budgetExhausted`). Returns the function that unsubscribes.
   */
  onBudgetExhausted(listener: (snapshot: SloSnapshot) => void): () => void;
  /** Bytes held by the SLO's counters: fixed at definition, whatever the traffic. */
  readonly memoryBytes: number;
}

/**
 * Declares a service level objective and starts tracking it in process, with
 * memory fixed at definition: 10-second buckets for the last hour and
 * 5-minute buckets for the SLO window (at least 3 days, the longest burn
 * window). A window of n buckets covers the current, partial bucket and the
 * n - 1 before it. Reports itself through the OTel metrics API once an SDK is
 * registered (`bulwark.slo.*` gauges labelled `slo.name`).
 *
 * @example
 * const slo = defineSlo({ name: 'transfers-availability', sli: { kind: 'availability' }, objective: 0.999 });
 * app.use(requestMetrics({ slos: [slo] }));
 */
export function defineSlo(options: SloOptions): Slo {
  return new TrackedSlo(resolveSloOptions(options));
}

class TrackedSlo implements Slo {
  readonly definition: SloDefinition;
  readonly #options: ResolvedSloOptions;
  readonly #fine = new BucketRing(FINE_BUCKET_MS, FINE_SPAN_MS / FINE_BUCKET_MS);
  readonly #coarse: BucketRing;
  readonly #listeners = new Set<(snapshot: SloSnapshot) => void>();
  readonly #metrics: () => unknown;
  #exhausted = false;

  constructor(options: ResolvedSloOptions) {
    this.#options = options;
    this.definition = toDefinition(options);
    const windowBuckets = (options.windowDays * DAY_MS) / COARSE_BUCKET_MS;
    const ringBuckets = Math.max(windowBuckets, LONGEST_BURN_WINDOW_MS / COARSE_BUCKET_MS);
    this.#coarse = new BucketRing(COARSE_BUCKET_MS, ringBuckets, windowBuckets);
    this.#metrics = sloMetrics(options.name, () => this.snapshot());
    this.#metrics(); // an SDK already registered reports the SLO before its first request
    liveSlos.add(this);
  }

  get memoryBytes(): number {
    return this.#fine.byteLength + this.#coarse.byteLength;
  }

  get budgetExhausted(): boolean {
    this.#checkBudget(this.#options.now());
    return this.#exhausted;
  }

  matches(event: SliEvent): boolean {
    return selectorMatches(this.#options.selector, event);
  }

  record(event: SliEvent): void {
    try {
      this.#metrics();
      if (!this.matches(event)) return;
      const good = isGoodEvent(this.#options.sli, event);
      if (good === undefined) return;
      const atMs = this.#options.now();
      this.#fine.add(atMs, good);
      this.#coarse.add(atMs, good);
      this.#checkBudget(atMs);
    } catch (error) {
      warn(
        WarningCode.Slo,
        `bulwark/slo: ${this.#options.name}: recording failed: ${String((error as Error)?.message ?? error)}`,
      );
    }
  }

  snapshot(): SloSnapshot {
    const atMs = this.#options.now();
    this.#checkBudget(atMs);
    return buildSnapshot({
      name: this.#options.name,
      objective: this.#options.objective,
      windowDays: this.#options.windowDays,
      atMs,
      window: this.#coarse.tracked(atMs),
      budgetExhausted: this.#exhausted,
      countsOver: (window) => this.#countsOver(window, atMs),
    });
  }

  onBudgetExhausted(listener: (snapshot: SloSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #countsOver(window: BurnRateWindow, atMs: number) {
    const spanMs = BURN_RATE_WINDOWS_MS[window];
    if (spanMs <= FINE_SPAN_MS) return this.#fine.sum(atMs, spanMs / FINE_BUCKET_MS);
    return this.#coarse.sum(atMs, spanMs / COARSE_BUCKET_MS);
  }

  /** O(1): reads the running window totals; notifies listeners on the edge to exhausted. */
  #checkBudget(atMs: number): void {
    const window = this.#coarse.tracked(atMs);
    const { badEventsAllowedRemaining } = errorBudget(window, this.#options.objective);
    const exhausted =
      window.total > 0 &&
      window.total >= this.#options.minEventsToExhaust &&
      badEventsAllowedRemaining <= 0;
    if (exhausted === this.#exhausted) return;
    this.#exhausted = exhausted;
    if (exhausted && this.#listeners.size > 0) this.#notify();
  }

  #notify(): void {
    const snapshot = this.snapshot();
    for (const listener of [...this.#listeners]) {
      try {
        listener(snapshot);
      } catch (error) {
        warn(
          WarningCode.Slo,
          `bulwark/slo: ${this.#options.name}: onBudgetExhausted listener threw: ${String((error as Error)?.message ?? error)}`,
        );
      }
    }
  }
}
