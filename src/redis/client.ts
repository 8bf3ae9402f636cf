import { createHash } from 'node:crypto';

/**
 * The two methods bulwark calls on an ioredis 5 client (`Redis` or `Cluster`):
 * `evalsha` / `eval` with the key count and a flat argument list.
 */
export interface IoRedisScriptClient {
  /** ioredis `EVALSHA sha1 numkeys ...keys ...args`. */
  evalsha(sha1: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  /** ioredis `EVAL script numkeys ...keys ...args`. */
  eval(script: string, numkeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Keys and arguments as node-redis takes them. */
export interface NodeRedisEvalOptions {
  /** The keys the script touches. */
  keys: string[];
  /** The script's other arguments. */
  arguments: string[];
}

/**
 * The two methods bulwark calls on a node-redis 5 client (`createClient()` or
 * `createCluster()`): `evalSha` / `eval` with `{ keys, arguments }`.
 */
export interface NodeRedisScriptClient {
  /** node-redis `EVALSHA`. */
  evalSha(sha1: string, options: NodeRedisEvalOptions): Promise<unknown>;
  /** node-redis `EVAL`. */
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>;
}

/** A Redis client `RedisStore` accepts: ioredis 5 or node-redis 5 (plain or cluster). */
export type RedisScriptClient = IoRedisScriptClient | NodeRedisScriptClient;

/** A Lua script with its SHA-1, so it is sent in full only when the server lacks it. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** Runs a Lua script on its keys (one hash slot: Redis Cluster refuses scripts across slots). */
export type RunScript = (
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
) => Promise<unknown>;

/** Builds a {@link LuaScript}. */
export function luaScript(source: string): LuaScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Adapts either client shape to one {@link RunScript}. The shapes are told
 * apart by method name (node-redis spells `evalSha`, ioredis `evalsha`),
 * because their `eval` signatures differ and cannot be detected by calling.
 * Scripts go by `EVALSHA` and fall back to `EVAL` once when the server answers
 * `NOSCRIPT` (after a restart or `SCRIPT FLUSH`).
 */
export function scriptRunner(client: RedisScriptClient): RunScript | undefined {
  if (isNodeRedis(client)) {
    return async function runNodeRedisScript(script, keys, args) {
      const options = { keys: [...keys], arguments: [...args] };
      try {
        return await client.evalSha(script.sha1, options);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await client.eval(script.source, options);
      }
    };
  }
  if (isIoRedis(client)) {
    return async function runIoRedisScript(script, keys, args) {
      try {
        return await client.evalsha(script.sha1, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await client.eval(script.source, keys.length, ...keys, ...args);
      }
    };
  }
  return undefined;
}

function isNodeRedis(client: RedisScriptClient): client is NodeRedisScriptClient {
  return typeof (client as Partial<NodeRedisScriptClient>).evalSha === 'function';
}

function isIoRedis(client: RedisScriptClient): client is IoRedisScriptClient {
  return typeof (client as Partial<IoRedisScriptClient>).evalsha === 'function';
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
