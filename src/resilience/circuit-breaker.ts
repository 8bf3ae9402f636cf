/**
 * The circuit breaker state machine for one key. Longer than most files on
 * purpose: every transition lives here, in one place, so that the states,
 * the probe accounting and the events can be read together.
 *
 * closed ──(failure ratio over ≥ minimumCalls in the window, or N consecutive failures)──▶ open
 * open ──(breakDurationMs passed, on the next call: lazy, no timer)──▶ half_open
 * half_open ──(halfOpenProbes probes all succeed)──▶ closed
 * half_open ──(a probe fails)──▶ open
 *
 * In half-open at most `halfOpenProbes` calls are let through; every other
 * caller fails fast (never queued behind a probe, unlike cockatiel). Every
 * operation is O(1): counts live in a {@link RollingWindow} whose size is
 * fixed, whatever the traffic or the window length.
 */
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { circuitOpen } from './failures.js';
import { RollingWindow } from './rolling-window.js';

/** The state of a circuit breaker. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** The validated settings a breaker runs with. */
export interface BreakerSettings {
  readonly mode: 'ratio' | 'consecutive';
  readonly failureRatio: number;
  readonly minimumCalls: number;
  readonly windowMs: number;
  readonly consecutiveFailures: number;
  readonly breakDurationMs: number;
  readonly halfOpenProbes: number;
}

const EPSILON = 1e-9;

/** One breaker's state and counts at one instant (see `CircuitBreaker.reading`). */
export interface BreakerReading {
  readonly state: CircuitState;
  /** Time left before an open breaker lets a probe through, in ms; 0 unless open. */
  readonly halfOpenInMs: number;
  /** Ratio mode: calls counted in the window since the last transition. */
  readonly windowCalls: number;
  /** Ratio mode: failures among them. */
  readonly windowFailures: number;
  /** Consecutive mode: failures in a row so far. */
  readonly consecutiveFailures: number;
}

/** A permit for a normal call in the closed state; probes get their generation number (> 0). */
export const NOT_A_PROBE = 0;

/** One circuit breaker; see the state diagram at the top of this file. */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private openUntil = 0;
  /** Counts half-open periods, so a late probe of an earlier period is ignored. */
  private generation = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private consecutive = 0;
  private readonly window: RollingWindow;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly events: ResilienceEvents,
    private readonly key: string | undefined,
  ) {
    this.window = new RollingWindow(settings.windowMs);
  }

  /**
   * Lets a call through and returns its permit ({@link NOT_A_PROBE} or a
   * probe's generation), or throws a stackless `BULWARK_CIRCUIT_OPEN` error
   * carrying `retryAfterMs`.
   */
  admit(nowMs: number, attempt: number): number {
    if (this.state === 'closed') return NOT_A_PROBE;
    if (this.state === 'open') {
      if (nowMs < this.openUntil) throw this.reject(Math.ceil(this.openUntil - nowMs), attempt);
      this.transition('half_open', attempt, undefined);
    }
    if (this.probesInFlight >= this.settings.halfOpenProbes) {
      throw this.reject(this.settings.breakDurationMs, attempt);
    }
    this.probesInFlight++;
    return this.generation;
  }

  /** The call admitted with `permit` succeeded (or failed in a way that proves the downstream alive). */
  succeeded(permit: number, nowMs: number, attempt: number): void {
    if (permit !== NOT_A_PROBE) {
      if (!this.endProbe(permit)) return;
      if (++this.probeSuccesses >= this.settings.halfOpenProbes) {
        this.transition('closed', attempt, undefined);
      }
      return;
    }
    if (this.state !== 'closed') return;
    this.consecutive = 0;
    if (this.settings.mode === 'ratio') this.window.add(nowMs, 1, 0);
  }

  /** The call admitted with `permit` failed in a way that counts against the downstream. */
  failed(permit: number, nowMs: number, attempt: number, error: unknown): void {
    if (permit !== NOT_A_PROBE) {
      if (this.endProbe(permit)) this.open(nowMs, attempt, error);
      return;
    }
    // A call admitted before the breaker opened and ending after: already accounted for.
    if (this.state !== 'closed') return;
    if (this.settings.mode === 'consecutive') {
      if (++this.consecutive >= this.settings.consecutiveFailures) this.open(nowMs, attempt, error);
      return;
    }
    const window = this.window;
    window.add(nowMs, 1, 1);
    const { minimumCalls, failureRatio } = this.settings;
    // The epsilon keeps 3 of 30 at a 0.1 ratio from missing by a rounding error.
    if (window.total >= minimumCalls && window.marked >= failureRatio * window.total - EPSILON) {
      this.open(nowMs, attempt, error);
    }
  }

  /** The call ended without saying anything about the downstream (e.g. the caller aborted). */
  released(permit: number): void {
    if (permit !== NOT_A_PROBE) this.endProbe(permit);
  }

  /** The state as a caller would see it now: an open breaker past its break reads as half-open. */
  stateAt(nowMs: number): CircuitState {
    return this.state === 'open' && nowMs >= this.openUntil ? 'half_open' : this.state;
  }

  /** What the breaker knows now, for the status page; changes nothing the breaker decides on. */
  reading(nowMs: number): BreakerReading {
    const state = this.stateAt(nowMs);
    this.window.advance(nowMs); // expiry only, as every add does first
    return {
      state,
      halfOpenInMs: state === 'open' ? Math.ceil(this.openUntil - nowMs) : 0,
      windowCalls: this.window.total,
      windowFailures: this.window.marked,
      consecutiveFailures: this.consecutive,
    };
  }

  private endProbe(permit: number): boolean {
    if (permit !== this.generation || this.state !== 'half_open') return false;
    this.probesInFlight--;
    return true;
  }

  private open(nowMs: number, attempt: number, error: unknown): void {
    this.openUntil = nowMs + this.settings.breakDurationMs;
    this.transition('open', attempt, error);
  }

  private transition(to: CircuitState, attempt: number, error: unknown): void {
    this.state = to;
    this.consecutive = 0;
    this.window.reset();
    this.probesInFlight = 0;
    this.probeSuccesses = 0;
    if (to === 'half_open') this.generation++;
    const name =
      to === 'open'
        ? ResilienceEventName.CircuitOpened
        : to === 'closed'
          ? ResilienceEventName.CircuitClosed
          : ResilienceEventName.CircuitHalfOpened;
    this.events.emit(name, this.key, attempt, error);
  }

  private reject(retryAfterMs: number, attempt: number): Error {
    const error = circuitOpen(this.events.pipeline, retryAfterMs);
    this.events.emit(ResilienceEventName.CircuitRejected, this.key, attempt, error);
    return error;
  }
}
