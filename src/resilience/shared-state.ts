/**
 * The contract between a pipeline's breakers and a store that shares their
 * state across a fleet of processes (`RedisBreakerState` from
 * `bulwark/redis`, or any other implementation). The core knows nothing of
 * Redis: it calls these few asynchronous operations on transitions only, and
 * receives the fleet's transitions through the listener. A call on a closed
 * or open breaker never reaches the store.
 */

/** A breaker's state as the fleet sees it. */
export interface FleetBreakerState {
  /** The breaker key ('' = the pipeline's unkeyed breaker). */
  readonly key: string;
  /**
   * `open`: in its break. `half_open`: the break is over and the breaker waits
   * for one probe, which may be running somewhere. `closed`: a probe
   * succeeded.
   */
  readonly state: 'open' | 'half_open' | 'closed';
  /**
   * Orders the fleet's transitions of this key: every trip takes a higher
   * epoch, and within an epoch the states go open → half-open → closed. A
   * receiver ignores what is older than what it knows.
   */
  readonly epoch: number;
  /** `open`: break left; `half_open`: probe lease left (0: nobody probes); `closed`: 0. In ms. */
  readonly remainingMs: number;
  /** `half_open` only: true when the probe lease is this process's own. */
  readonly probeWon?: boolean;
}

/** What a shared state tells an attached pipeline. */
export interface SharedBreakerListener {
  /**
   * Transitions decided elsewhere (`message`: another instance published
   * them) or the fleet's whole state read again (`sync`: at start, after a
   * reconnection, or on each poll when nothing is pushed).
   */
  update(states: readonly FleetBreakerState[], source: 'message' | 'sync'): void;
  /** The store answers again after it failed: push what changed locally meanwhile. */
  reconnected(): void;
}

/** One pipeline's handle on a shared state; every promise settles within the store's timeout. */
export interface SharedBreakerChannel {
  /**
   * False while the store is unreachable (a command failed or timed out, or
   * the subscription dropped); each breaker then decides alone.
   */
  readonly up: boolean;
  /**
   * This instance's breaker for `key` opened. Resolves with the fleet's
   * state: a fresh break of `breakMs`, or the break already running (its
   * remaining time is the one to keep).
   */
  trip(key: string, breakMs: number): Promise<FleetBreakerState>;
  /**
   * The break is over here: tries to take the fleet's single probe lease.
   * Resolves `half_open` with `probeWon: true` when taken, else with what the
   * fleet is doing (`open`, `half_open` probed elsewhere, `closed`).
   */
  acquireProbe(key: string): Promise<FleetBreakerState>;
  /**
   * A probe succeeded here (its lease taken in `epoch`). Resolves `closed`, or
   * the newer state that makes this success stale.
   */
  close(key: string, epoch: number): Promise<FleetBreakerState>;
  /** Stops delivering updates to this pipeline. */
  detach(): void;
}

/**
 * A store a pipeline's breakers share with the fleet
 * (`resilient(name, { breaker: { shared } })`). `attach` is called once per
 * pipeline, with the pipeline's name: breakers are shared per pipeline name
 * and breaker key.
 */
export interface SharedBreakerState {
  attach(pipeline: string, listener: SharedBreakerListener): SharedBreakerChannel;
}
