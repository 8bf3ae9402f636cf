/**
 * Which requests may be sent again. Safe methods (RFC 9110 §9.2.1) and the
 * idempotent PUT and DELETE repeat harmlessly; POST and PATCH only when an
 * `Idempotency-Key` makes the server deduplicate them.
 */
const REPEATABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Methods that may carry an idempotency key to become repeatable. */
const KEYED_METHODS = new Set(['POST', 'PATCH']);

/** True when `method` needs an `Idempotency-Key` before it may be retried. */
export function needsIdempotencyKey(method: string): boolean {
  return KEYED_METHODS.has(method);
}

/** True when a request with this method (and key, if any) may be sent more than once. */
export function isRepeatable(method: string, hasIdempotencyKey: boolean): boolean {
  return REPEATABLE_METHODS.has(method) || (KEYED_METHODS.has(method) && hasIdempotencyKey);
}

/**
 * Statuses that say "the same request may succeed later": 408, 429, 502, 503,
 * 504, and 409 from a server that deduplicates by idempotency key ("the first
 * request with this key is still in flight"). 400, 401, 403, 404, 422 and
 * every other status are final.
 */
export function isRetryableStatus(status: number, hasIdempotencyKey: boolean): boolean {
  switch (status) {
    case 408:
    case 429:
    case 502:
    case 503:
    case 504:
      return true;
    case 409:
      return hasIdempotencyKey;
    default:
      return false;
  }
}
