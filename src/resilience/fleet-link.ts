import type { BreakerLink, CircuitBreaker, CircuitState } from './circuit-breaker.js';
import { now } from './clock.js';
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

/**
 * One pipeline's attachment to a shared breaker state: it routes the fleet's
 * transitions to the breakers held here, and remembers the fleet's state of
 * keys with no breaker here (at most `maxKeys`, closed keys forgotten), so a
 * breaker created later starts where the fleet is.
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
  ) {
    this.channel = shared.attach(pipeline, this);
  }

  /** Builds the breaker for `key` around its link, and starts it from the fleet's last word on it. */
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
      link.apply({ ...known.state, remainingMs }, nowMs, 'message');
    }
    return breaker;
  }

  update(states: readonly FleetBreakerState[], source: 'message' | 'sync'): void {
    const nowMs = now();
    // A sync lists every key the fleet holds: what it no longer lists is gone.
    if (source === 'sync') this.known.clear();
    for (const state of states) {
      const breaker = this.breakers.peek(state.key);
      const link = breaker === undefined ? undefined : this.links.get(breaker);
      if (link !== undefined) link.apply(state, nowMs, source);
      else this.remember(state, nowMs);
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

  remember(state: FleetBreakerState, nowMs: number): void {
    const known = this.known;
    const previous = known.get(state.key);
    if (previous !== undefined && previous.state.epoch > state.epoch) return;
    known.delete(state.key);
    if (state.state === 'closed') return;
    if (known.size >= this.maxKeys) {
      const oldest = known.keys().next();
      if (oldest.done !== true) known.delete(oldest.value);
    }
    known.set(state.key, { state, atMs: nowMs });
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
