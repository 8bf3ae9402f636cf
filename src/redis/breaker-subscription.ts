import { BulwarkError, ErrorCode } from '../errors.js';
import type { FleetBreakerState } from '../resilience/shared-state.js';
import { type RedisSubscriber, subscribe, watchConnection } from './subscriber.js';

/** A transition as published by the scripts (breaker-scripts.ts). */
export interface PublishedTransition {
  readonly pipeline: string;
  /** The token of the pipeline channel that published it. */
  readonly origin: string;
  readonly state: FleetBreakerState;
}

/** What a subscription tells its `RedisBreakerState`. */
export interface SubscriptionEvents {
  /** A transition arrived on the channel (anything else published there is ignored). */
  message(transition: PublishedTransition): void;
  /** Messages flow again after a gap (or for the first time): read the state again. */
  resumed(): void;
  /** The connection dropped: messages may be missed until `resumed`. */
  lost(error: BulwarkError): void;
  /** subscribe() failed (told once per run of failures). */
  failed(error: BulwarkError): void;
}

/**
 * The subscription of one `RedisBreakerState` to its channel, on the
 * subscriber connection the application gave it. Both clients resubscribe by
 * themselves after a reconnection, so subscribe() runs until it succeeds once;
 * each attempt is bounded, so nothing waits on a connection that queues
 * commands while Redis is down.
 */
export class BreakerSubscription {
  /** subscribe() succeeded once. */
  private subscribedOnce = false;
  /** Messages arrive now: subscribed, and the connection is ready. */
  live = false;
  private attempt: Promise<void> | undefined;
  private reported = false;

  constructor(
    private readonly subscriber: RedisSubscriber,
    private readonly channel: string,
    private readonly timeoutMs: number,
    private readonly events: SubscriptionEvents,
  ) {
    watchConnection(subscriber, this.onReady, this.onDown);
  }

  /** Subscribes unless done or under way; settles within `timeoutMs`. */
  ensure(): Promise<void> {
    if (this.subscribedOnce) return Promise.resolve();
    this.attempt ??= this.subscribe().finally(() => {
      this.attempt = undefined;
    });
    return bounded(this.attempt, this.timeoutMs);
  }

  private async subscribe(): Promise<void> {
    try {
      await subscribe(this.subscriber, this.channel, (message) => {
        const transition = parseMessage(message);
        if (transition !== undefined) this.events.message(transition);
      });
      this.subscribedOnce = true;
      this.live = true;
      this.reported = false;
      this.events.resumed();
    } catch (error) {
      if (this.reported) return;
      this.reported = true;
      const reason = error instanceof Error ? error.message : String(error);
      this.events.failed(
        new BulwarkError(
          ErrorCode.BreakerStateUnavailable,
          `RedisBreakerState: subscribe failed: ${reason}`,
          { cause: error },
        ),
      );
    }
  }

  private readonly onReady = (): void => {
    if (!this.subscribedOnce) return;
    this.live = true;
    this.events.resumed();
  };

  private readonly onDown = (): void => {
    const wasLive = this.live;
    this.live = false;
    if (!wasLive) return;
    this.events.lost(
      new BulwarkError(
        ErrorCode.BreakerStateUnavailable,
        'RedisBreakerState: subscriber connection lost',
      ),
    );
  };
}

/** `promise`, or a resolved promise after `ms`: the caller goes on either way. */
function bounded(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
  return Promise.race([promise, elapsed]).finally(() => clearTimeout(timer));
}

/** A published transition, or undefined when the message is not one. */
function parseMessage(message: string): PublishedTransition | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(message) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { p, k, s, e, ms, o } = m;
  if (typeof p !== 'string' || typeof k !== 'string' || typeof o !== 'string') return undefined;
  if (s !== 'open' && s !== 'half_open' && s !== 'closed') return undefined;
  if (typeof e !== 'number' || typeof ms !== 'number') return undefined;
  const state: FleetBreakerState = { key: k, state: s, epoch: e, remainingMs: Math.max(0, ms) };
  return { pipeline: p, origin: o, state };
}
