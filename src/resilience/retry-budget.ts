import { RollingWindow } from './rolling-window.js';

/**
 * A Finagle-style retry budget for one key: over a sliding window, retries
 * may add at most `ratio` of the calls made, plus a floor of
 * `minRetriesPerSecond` so a quiet service can still retry. When the
 * downstream fails for everyone, retries stop multiplying the load by four
 * and fall back to about `1 + ratio` times. O(1) per call.
 */
export class RetryBudget {
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
    if (window.marked + 1 > this.floor + this.ratio * window.total) return false;
    window.add(nowMs, 0, 1);
    return true;
  }
}
