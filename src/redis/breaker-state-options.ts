import type { BulwarkError } from '../errors.js';
import { invalidOption } from '../errors.js';
import { checkNumber, definedFields } from '../resilience/option-checks.js';
import { type RedisScriptClient, type RunScript, scriptRunner } from './client.js';
import { isSubscriber, type RedisSubscriber } from './subscriber.js';

/** Options of {@link RedisBreakerState}. */
export interface RedisBreakerStateOptions {
  /**
   * The application's connected client for commands (Lua scripts): ioredis 5/6
   * or node-redis 5/6, plain or cluster. Required. Make it fail fast while
   * Redis is down (ioredis `enableOfflineQueue: false`; node-redis
   * `disableOfflineQueue: true`): a write queued offline would run late.
   */
  readonly client: RedisScriptClient;
  /**
   * A second connection, given to this state alone, on which it subscribes to
   * the fleet's transitions: ioredis `client.duplicate()`, node-redis
   * `client.duplicate()` then `await subscriber.connect()`. Default none: the
   * state is polled every `pollIntervalMs` instead.
   */
  readonly subscriber?: RedisSubscriber;
  /** Prefix of every key and of the channel. Default `'bulwark:breaker:'`. */
  readonly keyPrefix?: string;
  /**
   * How long the fleet's single half-open probe is reserved for the process
   * that took it, in ms: at least the attempt timeout, so the probe can finish.
   * If that process dies, another probes after it. Default 10_000.
   */
  readonly probeLeaseMs?: number;
  /** How long a tripped or closed record lives after its last write, in ms. Default 3_600_000. */
  readonly stateTtlMs?: number;
  /** The most a read or write may take before the breakers decide alone, in ms. Default 500. */
  readonly timeoutMs?: number;
  /** How often the state is read while it is not pushed (no subscriber, or it dropped), in ms. Default 500. */
  readonly pollIntervalMs?: number;
  /** Told when Redis stops answering (once per outage) or answers nonsense. Default none. */
  readonly onError?: (error: BulwarkError) => void;
}

/** Defaults of {@link RedisBreakerStateOptions}. */
export const REDIS_BREAKER_STATE_DEFAULTS = {
  keyPrefix: 'bulwark:breaker:',
  probeLeaseMs: 10_000,
  stateTtlMs: 3_600_000,
  timeoutMs: 500,
  pollIntervalMs: 500,
} as const;

const SCOPE = 'RedisBreakerState';

/** {@link RedisBreakerStateOptions}, validated once with their defaults applied. */
export interface ResolvedBreakerStateOptions {
  readonly run: RunScript;
  readonly subscriber: RedisSubscriber | undefined;
  readonly keyPrefix: string;
  readonly probeLeaseMs: number;
  readonly stateTtlMs: number;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly onError: ((error: BulwarkError) => void) | undefined;
}

/** Validates `options` (an error names the field) and applies the defaults. */
export function resolveOptions(options: RedisBreakerStateOptions): ResolvedBreakerStateOptions {
  const run = options?.client ? scriptRunner(options.client) : undefined;
  if (run === undefined) {
    throw invalidOption(SCOPE, 'client', options?.client, 'an ioredis or node-redis client');
  }
  const { subscriber, onError } = options;
  // The client itself would block its scripts once subscribed: a second connection is needed.
  if (
    subscriber !== undefined &&
    (!isSubscriber(subscriber) || Object.is(subscriber, options.client))
  ) {
    const expected = 'a second ioredis or node-redis connection, for this state alone';
    throw invalidOption(SCOPE, 'subscriber', subscriber, expected);
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidOption(SCOPE, 'onError', onError, 'a function');
  }
  const o = { ...REDIS_BREAKER_STATE_DEFAULTS, ...definedFields(options) };
  if (typeof o.keyPrefix !== 'string') {
    throw invalidOption(SCOPE, 'keyPrefix', o.keyPrefix, 'a string');
  }
  return {
    run,
    subscriber,
    onError,
    keyPrefix: o.keyPrefix,
    probeLeaseMs: checkNumber(SCOPE, 'probeLeaseMs', o.probeLeaseMs, 1, 86_400_000, true),
    stateTtlMs: checkNumber(SCOPE, 'stateTtlMs', o.stateTtlMs, 1_000, 2_592_000_000, true),
    timeoutMs: checkNumber(SCOPE, 'timeoutMs', o.timeoutMs, 1, 60_000),
    pollIntervalMs: checkNumber(SCOPE, 'pollIntervalMs', o.pollIntervalMs, 10, 3_600_000),
  };
}
