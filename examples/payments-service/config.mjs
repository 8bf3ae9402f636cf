/**
 * The service's configuration, read once from the environment and validated
 * before anything starts, so a typo fails at boot with a message that names
 * the variable instead of at the first payment.
 *
 *   PORT                 listen port, default 3000 (0 = a free port)
 *   HOST                 listen interface, default all interfaces
 *   BANK_URL             base URL of the bank, required (http or https)
 *   IDEMPOTENCY_STORE    memory | redis | postgres, default memory
 *   REDIS_URL            required when IDEMPOTENCY_STORE=redis
 *   DATABASE_URL         required when IDEMPOTENCY_STORE=postgres
 *   IDEMPOTENCY_PREFIX   Redis key prefix / PostgreSQL table name suffix, default none
 *   IDEMPOTENCY_LEASE_MS how long a claimed key stays locked if its process dies, default 30000
 *   SHUTDOWN_TIMEOUT_MS  how long SIGTERM waits for in-flight requests, default 10000
 *   BANK_TIMEOUT_MS      total deadline of one bank call, retries included, default 10000
 *   BANK_ATTEMPT_TIMEOUT_MS  deadline of one attempt, default 3000
 *   BANK_BREAKER_BREAK_MS    how long the bank's breaker stays open before a probe, default 5000
 *   OTEL_*               the standard OpenTelemetry variables (read by bulwark/otel)
 */

/**
 * @typedef {object} Config
 * @property {number} port
 * @property {string | undefined} host
 * @property {URL} bankUrl
 * @property {'memory' | 'redis' | 'postgres'} store
 * @property {string | undefined} redisUrl
 * @property {string | undefined} databaseUrl
 * @property {string | undefined} idempotencyPrefix
 * @property {number} idempotencyLeaseMs
 * @property {number} shutdownTimeoutMs
 * @property {{ totalTimeoutMs: number, attemptTimeoutMs: number, breakDurationMs: number }} bankCalls
 * @property {string} serviceName
 */

const STORES = ['memory', 'redis', 'postgres'];
const PREFIX = /^[a-z0-9_]{1,40}$/;

/** Thrown when the environment is invalid; `problems` lists every mistake at once. */
export class ConfigError extends Error {
  /** @param {string[]} problems */
  constructor(problems) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads and validates the configuration.
 * @param {Record<string, string | undefined>} env usually `process.env`
 * @returns {Readonly<Config>}
 * @throws {ConfigError}
 */
export function readConfig(env) {
  /** @type {string[]} */
  const problems = [];
  const port = integer(env.PORT ?? '3000', 0, 65535, 'PORT', problems);
  const shutdownTimeoutMs = integer(
    env.SHUTDOWN_TIMEOUT_MS ?? '10000',
    0,
    300_000,
    'SHUTDOWN_TIMEOUT_MS',
    problems,
  );
  const idempotencyLeaseMs = integer(
    env.IDEMPOTENCY_LEASE_MS ?? '30000',
    3000,
    600_000,
    'IDEMPOTENCY_LEASE_MS',
    problems,
  );
  const bankCalls = {
    totalTimeoutMs: integer(
      env.BANK_TIMEOUT_MS ?? '10000',
      1,
      300_000,
      'BANK_TIMEOUT_MS',
      problems,
    ),
    attemptTimeoutMs: integer(
      env.BANK_ATTEMPT_TIMEOUT_MS ?? '3000',
      1,
      300_000,
      'BANK_ATTEMPT_TIMEOUT_MS',
      problems,
    ),
    breakDurationMs: integer(
      env.BANK_BREAKER_BREAK_MS ?? '5000',
      1,
      300_000,
      'BANK_BREAKER_BREAK_MS',
      problems,
    ),
  };
  const bankUrl = httpUrl(env.BANK_URL, 'BANK_URL', problems);
  const store = env.IDEMPOTENCY_STORE ?? 'memory';
  if (!STORES.includes(store)) {
    problems.push(`IDEMPOTENCY_STORE must be one of ${STORES.join(', ')}, got ${quote(store)}`);
  }
  if (store === 'redis' && !env.REDIS_URL) problems.push('REDIS_URL is required for redis');
  if (store === 'postgres' && !env.DATABASE_URL) {
    problems.push('DATABASE_URL is required for postgres');
  }
  const prefix = env.IDEMPOTENCY_PREFIX;
  if (prefix !== undefined && !PREFIX.test(prefix)) {
    problems.push(`IDEMPOTENCY_PREFIX must match ${PREFIX}, got ${quote(prefix)}`);
  }
  if (problems.length > 0 || bankUrl === undefined) throw new ConfigError(problems);
  return Object.freeze({
    port,
    host: env.HOST || undefined,
    bankUrl,
    store: /** @type {Config['store']} */ (store),
    redisUrl: env.REDIS_URL,
    databaseUrl: env.DATABASE_URL,
    idempotencyPrefix: prefix,
    idempotencyLeaseMs,
    shutdownTimeoutMs,
    bankCalls: Object.freeze(bankCalls),
    serviceName: env.OTEL_SERVICE_NAME || 'payments-service',
  });
}

/**
 * @param {string} text
 * @param {number} min
 * @param {number} max
 * @param {string} name
 * @param {string[]} problems
 */
function integer(text, min, max, name, problems) {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name} must be an integer ${min}-${max}, got ${quote(text)}`);
  }
  return value;
}

/**
 * @param {string | undefined} text
 * @param {string} name
 * @param {string[]} problems
 */
function httpUrl(text, name, problems) {
  if (!text) {
    problems.push(`${name} is required (the bank's base URL, such as http://127.0.0.1:4000)`);
    return undefined;
  }
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  problems.push(`${name} must be an http(s) URL, got ${quote(text)}`);
  return undefined;
}

/** @param {string} text */
function quote(text) {
  return JSON.stringify(text.slice(0, 80));
}
