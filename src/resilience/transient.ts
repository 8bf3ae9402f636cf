import { ErrorCode, isBulwarkError } from '../errors.js';

/** Network error codes of Node (`node:net`, DNS) and undici that a new attempt may cure. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** HTTP statuses that say "try again later", when the caller maps responses to errors. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);

/** How deep to follow `cause`: undici wraps the socket error one level down. */
const MAX_CAUSE_DEPTH = 4;

/**
 * The one transient-error predicate: true when another attempt of the same
 * call may succeed. Every bulwark layer and wrapper uses it, so "what is
 * retried" and "what trips a breaker" never disagree.
 *
 * Transient: network errors by `code` (`ECONNRESET`, `ECONNREFUSED`,
 * `UND_ERR_SOCKET`, ... also one or more `cause` levels down, as undici's
 * `fetch failed` has them), bulwark's attempt timeout, and errors carrying a
 * numeric `status` or `statusCode` of 408, 429, 502, 503 or 504.
 *
 * Never transient, whatever they wrap: an open breaker, a full bulkhead, an
 * exceeded deadline, a spent retry budget, a `Retry-After` past the deadline,
 * an abort by the caller, and cockatiel's own rejections (`BrokenCircuitError`,
 * `IsolatedCircuitError`, `BulkheadRejectedError`, `TaskCancelledError`,
 * `HydratingCircuitError`).
 *
 * @example
 * if (isTransientError(error)) scheduleAnotherTry();
 */
export function isTransientError(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    if (isBulwarkError(current)) return current.code === ErrorCode.AttemptTimeout;
    if (isCockatielRejection(current)) return false;
    const { code, status, statusCode } = current as Record<string, unknown>;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    if (typeof status === 'number') return TRANSIENT_STATUSES.has(status);
    if (typeof statusCode === 'number') return TRANSIENT_STATUSES.has(statusCode);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * cockatiel marks its errors with an own boolean property. Read the markers
 * directly: cockatiel 3.2.1's own `isTaskCancelledError` and
 * `isIsolatedCircuitError` guards test the bulkhead's marker by mistake.
 */
const COCKATIEL_MARKERS = [
  'isBrokenCircuitError',
  'isIsolatedCircuitError',
  'isBulkheadRejectedError',
  'isTaskCancelledError',
  'isHydratingCircuitError',
] as const;

function isCockatielRejection(error: object): boolean {
  for (const marker of COCKATIEL_MARKERS) {
    if ((error as Record<string, unknown>)[marker] === true) return true;
  }
  return false;
}
