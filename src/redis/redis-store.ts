import { BulwarkError, ErrorCode, invalidOption } from '../errors.js';
import { assertDurationMs, assertNonEmpty } from '../idempotency/durations.js';
import type {
  ClaimRequest,
  ClaimResult,
  CompleteRequest,
  IdempotencyStore,
} from '../idempotency/store.js';
import { type LuaScript, type RedisScriptClient, type RunScript, scriptRunner } from './client.js';
import { decodeExisting, encodeInFlight, encodeResponse } from './record-codec.js';
import { CLAIM, COMPLETE, RELEASE, RENEW } from './scripts.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The application's connected client: ioredis 5 (`new Redis()`, `new Cluster()`)
   * or node-redis 5 (`createClient()`, `createCluster()`). Required. Configure it
   * to fail fast when Redis is down (ioredis `enableOfflineQueue: false`,
   * `maxRetriesPerRequest`, `commandTimeout`; node-redis `disableOfflineQueue: true`),
   * so a claim rejects instead of waiting for a reconnect.
   */
  readonly client: RedisScriptClient;
  /** Prefix of every record key. Default `'bulwark:idempotency:'`. */
  readonly keyPrefix?: string;
}

const DEFAULTS = {
  keyPrefix: 'bulwark:idempotency:',
} as const;

const SCOPE = 'RedisStore';

/**
 * An idempotency store on Redis: one key per record, claimed with `SET NX PX`
 * (the lease is the key's TTL, so Redis's clock decides expiry), renewed,
 * completed and released by single-key Lua scripts that check the owner token.
 * It never imports a Redis client; it calls `eval`/`evalsha` on yours.
 *
 * Every failure to reach Redis rejects with `BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE`
 * (the client's error as `cause`). Durability is Redis's: use `noeviction` and
 * AOF, since an evicted or unreplicated claim lets a key run twice.
 */
export class RedisStore implements IdempotencyStore {
  readonly #run: RunScript;
  readonly #keyPrefix: string;

  constructor(options: RedisStoreOptions) {
    const client = options?.client;
    const run = client ? scriptRunner(client) : undefined;
    if (!run) {
      throw invalidOption(SCOPE, 'client', client, 'an ioredis 5 or node-redis 5 client');
    }
    const keyPrefix = options.keyPrefix ?? DEFAULTS.keyPrefix;
    if (typeof keyPrefix !== 'string') {
      throw invalidOption(SCOPE, 'keyPrefix', keyPrefix, 'a string');
    }
    this.#run = run;
    this.#keyPrefix = keyPrefix;
  }

  /** Atomically claims `key`, or reports the live record that is there. */
  async claim(request: ClaimRequest): Promise<ClaimResult> {
    assertNonEmpty(SCOPE, 'key', request.key);
    assertNonEmpty(SCOPE, 'ownerToken', request.ownerToken);
    assertDurationMs(SCOPE, 'leaseMs', request.leaseMs);
    const value = encodeInFlight(request.ownerToken, request.fingerprint);
    const reply = await this.#call('claim', CLAIM, request.key, [
      request.ownerToken,
      value,
      String(request.leaseMs),
    ]);
    if (!Array.isArray(reply)) throw unexpected('claim', reply);
    if (Number(reply[0]) === 1) return { outcome: 'claimed' };
    try {
      return decodeExisting(reply[1], reply[2]);
    } catch {
      // Not a record this store wrote (another writer under the same prefix?).
      throw unexpected('claim', typeof reply[1] === 'string' ? reply[1].slice(0, 32) : reply[1]);
    }
  }

  /** Extends the lease to `leaseMs` from now (Redis time) while `ownerToken` holds it. */
  async renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean> {
    assertDurationMs(SCOPE, 'leaseMs', leaseMs);
    return this.#fenced('renew', RENEW, key, [ownerToken, String(leaseMs)]);
  }

  /** Replaces the in-flight record with the response while `ownerToken` holds the lease. */
  async complete(request: CompleteRequest): Promise<boolean> {
    assertDurationMs(SCOPE, 'retentionMs', request.retentionMs);
    const response = encodeResponse(request.response);
    return this.#fenced('complete', COMPLETE, request.key, [
      request.ownerToken,
      response,
      String(request.retentionMs),
    ]);
  }

  /** Deletes the in-flight record while `ownerToken` holds the lease. */
  async release(key: string, ownerToken: string): Promise<boolean> {
    return this.#fenced('release', RELEASE, key, [ownerToken]);
  }

  async #fenced(op: string, script: LuaScript, key: string, args: string[]): Promise<boolean> {
    const reply = await this.#call(op, script, key, args);
    return Number(reply) === 1;
  }

  async #call(op: string, script: LuaScript, key: string, args: string[]): Promise<unknown> {
    try {
      return await this.#run(script, [this.#keyPrefix + key], args);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BulwarkError(
        ErrorCode.IdempotencyStoreUnavailable,
        `${SCOPE}: ${op} failed: ${reason}`,
        { cause: error },
      );
    }
  }
}

function unexpected(op: string, reply: unknown): BulwarkError {
  return new BulwarkError(
    ErrorCode.IdempotencyStoreUnavailable,
    `${SCOPE}: ${op} got an unexpected reply ${JSON.stringify(reply)}`,
  );
}
