/**
 * The fleet side of one shared breaker key: what this process knows of the
 * fleet's state and of the single probe lease. A state machine, and longer
 * than most files for it; its rules:
 *
 * - A call never waits on the shared state: every write starts after a
 *   transition and settles in the background.
 * - Local transitions are written (`trip`, `close`); a write that fails is
 *   kept `dirty` and pushed again when the store answers again.
 * - After the break only the holder of the fleet's probe lease lets a probe
 *   through; everyone else fails fast until the probe's outcome arrives or
 *   the lease lapses. A process that refused calls takes the lease as soon as
 *   the break (or the lapsed lease) ends, so its next call is the probe.
 * - While the store is unreachable the breaker decides alone.
 */
import type { BreakerLink, CircuitBreaker, CircuitState } from './circuit-breaker.js';
import { now } from './clock.js';
import type { FleetBreakerState, SharedBreakerChannel } from './shared-state.js';

/** What a key's link needs from its pipeline's {@link FleetLink}. */
export interface LinkHost {
  readonly channel: SharedBreakerChannel;
  /** True while `breaker` is the one held for `key` (not evicted or replaced). */
  holds(key: string, breaker: CircuitBreaker): boolean;
  /** Notes the latest known state of `key`, for a breaker created for it later. */
  remember(state: FleetBreakerState, nowMs: number): boolean;
}

/** How long a call is told to wait while the probe lease is being asked for, in ms. */
const ACQUIRING_RETRY_AFTER_MS = 50;

/** Within one epoch the fleet's states only move forward. */
const RANK = { open: 0, half_open: 1, closed: 2 } as const;

/** A reply handler that throws must not become an unhandled rejection (which ends the process). */
function ignore(): void {}

/** See the rules at the top of this file. */
export class KeyLink implements BreakerLink {
  /** Set once, right after the breaker is built around this link. */
  breaker: CircuitBreaker | undefined;
  /** A local transition the fleet has not acknowledged. */
  dirty = false;
  private epoch = 0;
  private rank = 0;
  /** This process holds the probe lease until then (clock time). */
  private leaseUntil = 0;
  /** Another process holds the probe lease until then (clock time). */
  private probingUntil = 0;
  private acquiring = false;
  /** A call was refused since the break began: this process wants the probe. */
  private wanted = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: LinkHost,
    readonly key: string,
  ) {}

  changed(to: CircuitState, breakMs: number): void {
    const nowMs = now();
    this.host.remember(
      { key: this.key, state: to, epoch: this.epoch, remainingMs: breakMs },
      nowMs,
    );
    if (to === 'half_open') return;
    this.leaseUntil = 0;
    this.probingUntil = 0;
    this.wanted = false;
    if (to === 'open') this.armAt(nowMs + breakMs);
    else this.disarm();
    this.dirty = true;
    if (this.host.channel.up) this.push();
  }

  probeWait(nowMs: number): number {
    if (!this.host.channel.up || nowMs < this.leaseUntil) return 0;
    this.wanted = true;
    if (nowMs < this.probingUntil) return Math.ceil(this.probingUntil - nowMs);
    this.acquire();
    return ACQUIRING_RETRY_AFTER_MS;
  }

  refused(): void {
    this.wanted = true;
  }

  /**
   * Writes the breaker's own state to the fleet: a running break as a trip
   * with the time it has left, a close as a close. A breaker past its break
   * writes nothing: it takes the probe lease like everyone else.
   */
  push(): void {
    const breaker = this.breaker;
    if (breaker === undefined) return;
    const sentAtMs = now();
    const { state, remainingMs } = breaker.snapshotAt(sentAtMs);
    const { channel } = this.host;
    let write: Promise<FleetBreakerState>;
    if (state === 'open' && remainingMs > 0) write = channel.trip(this.key, remainingMs);
    else if (state === 'closed') write = channel.close(this.key, this.epoch);
    else {
      this.dirty = false;
      return;
    }
    write
      .then(
        (fleet) => {
          this.dirty = false;
          this.apply(fleet, now(), 'reply', sentAtMs);
        },
        () => {
          // Stays dirty: pushed again when the store answers again.
        },
      )
      .catch(ignore);
  }

  /**
   * Takes the fleet's state of this key: an event when a call would see a
   * change, except when seeding a new breaker. `sentAtMs` is when the request
   * that brought it was sent: a lease is counted from then, so this process
   * never believes it holds a lease the store has already let go.
   */
  apply(
    fleet: FleetBreakerState,
    nowMs: number,
    source: 'message' | 'sync' | 'reply' | 'seed',
    sentAtMs = nowMs,
  ): void {
    const breaker = this.breaker;
    if (breaker === undefined) return;
    // A sync read may predate a write still in flight: the write's reply decides.
    if (source === 'sync' && this.dirty) return;
    const rank = RANK[fleet.state];
    if (fleet.epoch < this.epoch || (fleet.epoch === this.epoch && rank < this.rank)) return;
    this.epoch = fleet.epoch;
    this.rank = rank;
    const origin = source === 'seed' ? undefined : 'fleet';
    this.host.remember(fleet, nowMs);
    if (fleet.state === 'closed') {
      this.leaseUntil = 0;
      this.probingUntil = 0;
      this.wanted = false;
      this.disarm();
      breaker.adopt('closed', 0, nowMs, origin);
      return;
    }
    if (fleet.state === 'open') {
      this.leaseUntil = 0;
      this.probingUntil = 0;
      if (breaker.stateAt(nowMs) !== 'open') this.wanted = false;
      breaker.adopt('open', fleet.remainingMs, nowMs, origin);
      this.armAt(nowMs + fleet.remainingMs);
      return;
    }
    if (fleet.probeWon === true) {
      this.leaseUntil = sentAtMs + fleet.remainingMs;
      this.probingUntil = 0;
      // Our own probe may be running: leave it be.
      if (breaker.stateAt(nowMs) !== 'half_open') breaker.adopt('half_open', 0, nowMs, origin);
      return;
    }
    this.leaseUntil = 0;
    this.probingUntil = fleet.remainingMs > 0 ? nowMs + fleet.remainingMs : 0;
    breaker.adopt('half_open', 0, nowMs, origin);
    if (this.probingUntil > 0) this.armAt(this.probingUntil);
  }

  private acquire(): void {
    if (this.acquiring) return;
    this.acquiring = true;
    const sentAtMs = now();
    this.host.channel
      .acquireProbe(this.key)
      .then(
        (fleet) => this.apply(fleet, now(), 'reply', sentAtMs),
        // The channel is down now: the next call probes on this breaker's own say.
        ignore,
      )
      .catch(ignore)
      .finally(() => {
        this.acquiring = false;
      });
  }

  /** At the end of a break or of another's lease, a process that wants the probe asks for it. */
  private armAt(atMs: number): void {
    this.disarm();
    const timer = setTimeout(this.onTimer, Math.max(0, atMs - now()));
    timer.unref?.();
    this.timer = timer;
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const breaker = this.breaker;
    if (!this.wanted || breaker === undefined || !this.host.channel.up) return;
    if (!this.host.holds(this.key, breaker)) return;
    const nowMs = now();
    // Past the break and no valid lease anywhere (asking again renews a lapsed one of ours).
    if (breaker.stateAt(nowMs) !== 'half_open') return;
    if (nowMs < this.leaseUntil || nowMs < this.probingUntil) return;
    this.acquire();
  };
}
