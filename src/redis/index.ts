/**
 * `bulwark/redis`: the Redis idempotency store and the fleet's shared circuit
 * breaker state. It loads no Redis client at run time; pass the ioredis or
 * node-redis client your application already has.
 */

export { RedisBreakerState } from './breaker-state.js';
export type { RedisBreakerStateOptions } from './breaker-state-options.js';
export type {
  IoRedisScriptClient,
  NodeRedisEvalOptions,
  NodeRedisScriptClient,
  RedisScriptClient,
} from './client.js';
export type { RedisStoreOptions } from './redis-store.js';
export { RedisStore } from './redis-store.js';
export type {
  ConnectionEvents,
  IoRedisSubscriber,
  NodeRedisSubscriber,
  RedisSubscriber,
} from './subscriber.js';
