import { invalidOption } from '../errors.js';
import { isHeaderName } from '../header-name.js';
import { MAX_CLIENT_KEY_LENGTH } from '../idempotency/client-key.js';
import type { IdempotencyEngineOptions } from '../idempotency/engine-options.js';
import type { IdempotencyStore } from '../idempotency/store.js';

/**
 * Options of idempotency keys over HTTP (`idempotency()` on Express, `idempotency` of the
 * Fastify plugin); engine options (`leaseMs`, `retentionMs`, `storeTimeoutMs`, ...) pass
 * through. `Req` is the framework's request, as `principal` receives it.
 */
export interface IdempotencyOptions<Req = unknown> extends Omit<IdempotencyEngineOptions, 'store'> {
  /** Where records live. Default a new `MemoryStore()` (one process, not durable). */
  readonly store?: IdempotencyStore;
  /** The request header carrying the key. Default `Idempotency-Key`. */
  readonly headerName?: string;
  /** Methods the middleware acts on; other methods pass through untouched. Default `['POST', 'PATCH']`. */
  readonly methods?: readonly string[];
  /** True to answer 400 when a request of those methods has no key; false lets it through unprotected. Default true. */
  readonly required?: boolean;
  /** Shortest key accepted (the longest is always 255). Default 1. */
  readonly minKeyLength?: number;
  /**
   * Who is calling, within the tenant (a user or API-client id), for scoping
   * keys per principal. Runs after your authentication. Default: none, keys
   * are scoped per tenant (from `getTenant()`), method and route only.
   */
  readonly principal?: (req: Req) => string | undefined;
  /** Largest request body fingerprinted, in bytes; larger bodies get 413. Default 1 048 576 (1 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * Largest response recorded, in bytes. A larger response is streamed through
   * and not recorded (the key is released), as are `text/event-stream`
   * responses and responses whose headers are flushed early. Default 1 048 576.
   */
  readonly maxResponseBytes?: number;
  /**
   * Which handler statuses are recorded for replay; the others release the key
   * so a retry runs again. Default: every status below 500 except 409 and 429.
   * 5xx are not recorded because a framework turns a thrown handler error into
   * a 5xx that, without bulwark's error handler, cannot be told from one the
   * handler wrote itself. An answer to a thrown error (whatever its status) is
   * never recorded.
   */
  readonly storeStatus?: (status: number) => boolean;
  /**
   * Response headers replayed (case-insensitive), besides `Idempotent-Replayed: true`.
   * Default `IDEMPOTENCY_DEFAULTS.replayHeaders`. `Set-Cookie`, auth headers,
   * `Date` and hop-by-hop headers are refused.
   */
  readonly replayHeaders?: readonly string[];
}

/** Defaults of {@link IdempotencyOptions} (engine defaults: `IDEMPOTENCY_ENGINE_DEFAULTS`). */
export const IDEMPOTENCY_DEFAULTS = {
  headerName: 'Idempotency-Key',
  methods: ['POST', 'PATCH'] as readonly string[],
  required: true,
  minKeyLength: 1,
  maxBodyBytes: 1_048_576,
  maxResponseBytes: 1_048_576,
  storeStatus: (status: number): boolean => status < 500 && status !== 409 && status !== 429,
  replayHeaders: [
    'content-type',
    'content-language',
    'content-disposition',
    'content-location',
    'location',
    'link',
    'etag',
  ] as readonly string[],
} as const;

/** Headers never replayed: they belong to the original exchange, or to a person. */
const NEVER_REPLAYED = new Set([
  'set-cookie',
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'proxy-authenticate',
  'cookie',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
  'te',
]);

const SCOPE = 'idempotency';

/** Options after defaults and validation (engine options are validated by the engine). */
export interface ResolvedIdempotencyOptions<Req = unknown> {
  readonly headerName: string;
  readonly methods: ReadonlySet<string>;
  readonly required: boolean;
  readonly minKeyLength: number;
  readonly principal: ((req: Req) => string | undefined) | undefined;
  readonly maxBodyBytes: number;
  readonly maxResponseBytes: number;
  readonly storeStatus: (status: number) => boolean;
  readonly replayHeaders: readonly string[];
}

/** Applies defaults and validates the HTTP options, once. */
export function resolveIdempotencyOptions<Req>(
  options: IdempotencyOptions<Req>,
): ResolvedIdempotencyOptions<Req> {
  const d = IDEMPOTENCY_DEFAULTS;
  const headerName = options.headerName ?? d.headerName;
  if (!isHeaderName(headerName)) {
    throw invalidOption(SCOPE, 'headerName', headerName, 'an HTTP header name');
  }
  const methods = options.methods ?? d.methods;
  if (
    !Array.isArray(methods) ||
    methods.length === 0 ||
    !methods.every((m) => /^[A-Za-z]+$/.test(m))
  ) {
    throw invalidOption(SCOPE, 'methods', methods, 'a non-empty array of HTTP method names');
  }
  const minKeyLength = options.minKeyLength ?? d.minKeyLength;
  if (!Number.isInteger(minKeyLength) || minKeyLength < 1 || minKeyLength > MAX_CLIENT_KEY_LENGTH) {
    throw invalidOption(
      SCOPE,
      'minKeyLength',
      minKeyLength,
      `an integer from 1 to ${MAX_CLIENT_KEY_LENGTH}`,
    );
  }
  return {
    headerName,
    methods: new Set(methods.map((m) => m.toUpperCase())),
    required: bool('required', options.required ?? d.required),
    minKeyLength,
    principal: optionalFunction('principal', options.principal),
    maxBodyBytes: byteCount('maxBodyBytes', options.maxBodyBytes ?? d.maxBodyBytes),
    maxResponseBytes: byteCount('maxResponseBytes', options.maxResponseBytes ?? d.maxResponseBytes),
    storeStatus: optionalFunction('storeStatus', options.storeStatus) ?? d.storeStatus,
    replayHeaders: replayHeaders(options.replayHeaders ?? d.replayHeaders),
  };
}

function replayHeaders(value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw invalidOption(SCOPE, 'replayHeaders', value, 'an array of header names');
  }
  const names = value.map((name: string) => name.toLowerCase());
  const refused = names.find((name) => NEVER_REPLAYED.has(name));
  if (refused !== undefined) {
    throw invalidOption(
      SCOPE,
      'replayHeaders',
      refused,
      'a header that is safe to replay (not cookies, auth, Date or hop-by-hop)',
    );
  }
  return names;
}

function bool(field: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw invalidOption(SCOPE, field, value, 'a boolean');
}

function byteCount(field: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw invalidOption(SCOPE, field, value, 'a positive integer of bytes');
}

function optionalFunction<F>(field: string, value: F | undefined): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw invalidOption(SCOPE, field, value, 'a function');
}
