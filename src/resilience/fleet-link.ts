import type { BreakerLink, CircuitBreaker, CircuitState } from './circuit-breaker.js';
import { now } from './clock.js';
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { KeyLink, type LinkHost } from './key-link.js';
import type {
  FleetBreakerState,
  SharedBreakerChannel,
  SharedBreakerListener,
  SharedBreakerState,
} from './shared-state.js';

/** A remembered fleet state and when it arrived (clock time). */
interface Known {
  readonly state: FleetBreakerState;
  readonly atMs: number;
}

/** How the fleet link reaches the breakers of its layer. */
export interface BreakerLookup {
  /** The breaker held for `key`, without creating it. */
  peek(key: string): CircuitBreaker | undefined;
  /** Every breaker held. */
  entries(): Iterable<[string, CircuitBreaker]>;
}

const EVENT = {
  open: ResilienceEventName.CircuitOpened,
  half_open: ResilienceEventName.CircuitHalfOpened,
  closed: ResilienceEventName.CircuitClosed,
} as const;

/**
 * One pipeline's attachment to a shared breaker state: it routes the fleet's
 * transitions to the breakers held here, and remembers the fleet's state of
 * keys with no breaker here (at most `maxKeys`, closed keys forgotten), so a
 * breaker created later starts where the fleet is. Either way a transition
 * that changes what a call would see is an event with origin `fleet`.
 */
export class FleetLink implements SharedBreakerListener, LinkHost {
  readonly channel: SharedBreakerChannel;
  private readonly links = new WeakMap<CircuitBreaker, KeyLink>();
  private readonly known = new Map<string, Known>();

  constructor(
    pipeline: string,
    shared: SharedBreakerState,
    private readonly maxKeys: number,
    private readonly breakers: BreakerLookup,
    private readonly events: ResilienceEvents,
  ) {
    this.channel = shared.attach(pipeline, this);
  }

  /**
   * Builds the breaker for `key` around its link, and starts it from the
   * fleet's last word on it (silently: that word was an event when it came).
   */
  create(key: string, make: (link: BreakerLink) => CircuitBreaker): CircuitBreaker {
    const link = new KeyLink(this, key);
    const breaker = make(link);
    link.breaker = breaker;
    this.links.set(breaker, link);
    const known = this.known.get(key);
    if (known !== undefined) {
      const nowMs = now();
      const ageMs = nowMs - known.atMs;
      const remainingMs = Math.max(0, known.state.remainingMs - ageMs);
      link.apply({ ...known.state, remainingMs }, nowMs, 'seed');
    }
    return breaker;
  }

  update(states: readonly FleetBreakerState[], source: 'message' | 'sync'): void {
    const nowMs = now();
    const listed = source === 'sync' ? new Set<string>() : undefined;
    for (const state of states) {
      listed?.add(state.key);
      const breaker = this.breakers.peek(state.key);
      const link = breaker === undefined ? undefined : this.links.get(breaker);
      if (link !== undefined) link.apply(state, nowMs, source);
      else this.learn(state, nowMs);
    }
    // A sync lists every key the fleet holds: what it no longer lists expired there.
    if (listed !== undefined) {
      for (const key of this.known.keys()) if (!listed.has(key)) this.known.delete(key);
    }
  }

  reconnected(): void {
    for (const [, breaker] of this.breakers.entries()) {
      const link = this.links.get(breaker);
      if (link?.dirty === true) link.push();
    }
  }

  holds(key: string, breaker: CircuitBreaker): boolean {
    return this.breakers.peek(key) === breaker;
  }

  remember(state: FleetBreakerState, nowMs: number): boolean {
    const known = this.known;
    const previous = known.get(state.key);
    if (previous !== undefined && previous.state.epoch > state.epoch) return false;
    known.delete(state.key);
    if (state.state === 'closed') return true;
    if (known.size >= this.maxKeys) {
      const oldest = known.keys().next();
      if (oldest.done !== true) known.delete(oldest.value);
    }
    known.set(state.key, { state, atMs: nowMs });
    return true;
  }

  /** Remembers the fleet's state of a key with no breaker here; an event when a call would see a change. */
  private learn(state: FleetBreakerState, nowMs: number): void {
    const before = this.stateOf(state.key, nowMs) ?? 'closed';
    if (!this.remember(state, nowMs)) return;
    const after = this.stateOf(state.key, nowMs) ?? 'closed';
    if (after === before) return;
    this.events.emit(EVENT[after], state.key || undefined, 0, undefined, undefined, 'fleet');
  }

  /** The fleet's state of a key with no breaker here, or undefined when it knows none. */
  stateOf(key: string, nowMs: number): CircuitState | undefined {
    const known = this.known.get(key);
    if (known === undefined) return undefined;
    const { state, remainingMs } = known.state;
    return state === 'open' && remainingMs > nowMs - known.atMs ? 'open' : 'half_open';
  }

  /** Stops receiving the fleet's transitions. */
  detach(): void {
    this.channel.detach();
  }
}
