/**
 * `bulwark/redis`: the Redis idempotency store. It loads no Redis client at run
 * time; pass the ioredis 5 or node-redis 5 client your application already has.
 */

export type {
  IoRedisScriptClient,
  NodeRedisEvalOptions,
  NodeRedisScriptClient,
  RedisScriptClient,
} from './client.js';
export type { RedisStoreOptions } from './redis-store.js';
export { RedisStore } from './redis-store.js';
