/**
 * The subscriber connection of `RedisBreakerState`, from either client. A
 * connection in subscribe mode can run no other command, so both clients need
 * a second one: `client.duplicate()` (ioredis: connects by itself; node-redis:
 * then `await subscriber.connect()`).
 */

/** Listens to a connection's lifecycle events (both clients are EventEmitters). */
export interface ConnectionEvents {
  // biome-ignore lint/suspicious/noExplicitAny: both clients type their listeners with any[].
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The ioredis 5/6 methods used: `subscribe(channel)` and the `message` event. */
export interface IoRedisSubscriber extends ConnectionEvents {
  /** ioredis's connection status (`'ready'`, `'reconnecting'`, ...): how the client is told apart. */
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
}

/** The node-redis 5/6 method used: `subscribe(channel, listener)`. */
export interface NodeRedisSubscriber extends ConnectionEvents {
  /** node-redis's open flag: how the client is told apart. */
  readonly isOpen: boolean;
  subscribe(
    channel: string,
    listener: (message: string, channel: string) => unknown,
  ): Promise<unknown>;
}

/** A dedicated subscriber connection: ioredis or node-redis. */
export type RedisSubscriber = IoRedisSubscriber | NodeRedisSubscriber;

/** True when `value` looks like a subscriber connection of either client. */
export function isSubscriber(value: unknown): value is RedisSubscriber {
  const candidate = value as Partial<IoRedisSubscriber & NodeRedisSubscriber> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.subscribe === 'function' &&
    typeof candidate.on === 'function' &&
    (typeof candidate.status === 'string' || typeof candidate.isOpen === 'boolean')
  );
}

/** Subscribes to `channel`; `onMessage` receives each message. Both clients resubscribe after a reconnection. */
export async function subscribe(
  subscriber: RedisSubscriber,
  channel: string,
  onMessage: (message: string) => void,
): Promise<void> {
  if (typeof (subscriber as IoRedisSubscriber).status === 'string') {
    const io = subscriber as IoRedisSubscriber;
    io.on('message', (from: string, message: string) => {
      if (from === channel) onMessage(message);
    });
    await io.subscribe(channel);
    return;
  }
  await (subscriber as NodeRedisSubscriber).subscribe(channel, (message) => onMessage(message));
}

/**
 * Calls `onReady` when the connection is ready again (both clients then have
 * resubscribed, or are about to) and `onDown` when it drops.
 */
export function watchConnection(
  subscriber: RedisSubscriber,
  onReady: () => void,
  onDown: () => void,
): void {
  subscriber.on('ready', onReady);
  for (const event of ['close', 'end', 'reconnecting']) subscriber.on(event, onDown);
  // An EventEmitter with no 'error' listener throws: the client's own errors
  // surface as onDown here and as failed commands elsewhere.
  subscriber.on('error', onDown);
}
