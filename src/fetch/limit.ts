import { TimerSlot } from '../resilience/timer-wheel.js';

/** The typed errors a {@link Limit} fires with, one per cause. */
export interface LimitCauses {
  /** The error when the limit's time runs out. */
  timedOut(): unknown;
  /** The error when the caller's signal aborts, given the signal's reason. */
  aborted(reason: unknown): unknown;
}

/**
 * Bounds one wait the resilience pipeline does not cover: reading the
 * caller's request stream before the first attempt, or the response body
 * after the call resolved. It fires at most once, when its time comes or the
 * caller's signal aborts, whichever is first, and hands `onFire` the typed
 * error of that cause. A fired or released limit holds no timer and no
 * listener, so it keeps neither the process nor the response alive.
 *
 * Its time is an entry in the resilience layers' shared timer (unref'd, O(1)
 * to add and remove, up to one 10 ms tick late): a per-call `setTimeout` on
 * the success path costs more than the rest of the wrapper's bookkeeping
 * (`benchmarks/scenarios/http-client.mjs`).
 */
export class Limit implements EventListenerObject {
  /** The error it fired with, once it fired. */
  failure: unknown;
  private onFire: ((error: unknown) => void) | undefined;
  /** Its time on the shared timer. */
  private readonly timer = new TimerSlot(() => this.fire(this.causes.timedOut()));

  /**
   * @param signal The caller's signal, if any.
   * @param atMs Clock time (`performance.now()`) the limit fires at; `Infinity` for none.
   */
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly atMs: number,
    private readonly causes: LimitCauses,
  ) {}

  /** True when nothing can ever fire this limit (no time bound, no signal). */
  get unbounded(): boolean {
    return this.signal === undefined && this.atMs === Number.POSITIVE_INFINITY;
  }

  /** Starts the limit; `onFire` runs once, unless {@link release} comes first. */
  arm(onFire: (error: unknown) => void): void {
    this.onFire = onFire;
    if (this.signal?.aborted) {
      this.handleEvent();
      return;
    }
    if (this.atMs !== Number.POSITIVE_INFINITY) this.timer.schedule(this.atMs);
    this.signal?.addEventListener('abort', this);
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.fire(this.causes.aborted(this.signal?.reason));
  }

  /** Disarms the limit: the wait it bounded is over. */
  release(): void {
    this.onFire = undefined;
    this.timer.cancel();
    this.signal?.removeEventListener('abort', this);
  }

  private fire(error: unknown): void {
    const onFire = this.onFire;
    this.release();
    if (onFire === undefined) return;
    this.failure = error;
    onFire(error);
  }
}
