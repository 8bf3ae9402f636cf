/**
 * The least a service could hand-write for what `createFetch()`'s defaults do
 * on the http-client request, as a yardstick for its cost: each attempt cut
 * at 10 s, the whole call at 30 s (request and body alike, through one
 * `AbortSignal.timeout` per attempt, the standard tool), and up to 3 retries
 * with full-jitter exponential backoff on a network error or a 429/5xx, for a
 * GET or for a request that carries an Idempotency-Key, sent unchanged on
 * every attempt. None of `createFetch()`'s other guarantees: no breaker,
 * bulkhead or retry budget, no `Retry-After`, no trace context or spans, no
 * metrics, no typed errors, no `fetchMeta`, no key made for a POST without one.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const ATTEMPT_TIMEOUT_MS = 10_000;
const TOTAL_TIMEOUT_MS = 30_000;
const MAX_RETRIES = 3;
const BASE_DELAY_MS = 200;
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** `fetch(url, init)` with the timeouts and retries above; `init.headers` is a plain object. */
export async function handRolledFetch(url, init = {}) {
  const deadlineAt = Date.now() + TOTAL_TIMEOUT_MS;
  const method = (init.method ?? 'GET').toUpperCase();
  const retryable = method === 'GET' || init.headers?.['idempotency-key'] !== undefined;
  for (let retries = 0; ; retries++) {
    const remainingMs = deadlineAt - Date.now();
    const signal = AbortSignal.timeout(Math.max(0, Math.min(ATTEMPT_TIMEOUT_MS, remainingMs)));
    const last = !retryable || retries === MAX_RETRIES;
    try {
      const response = await fetch(url, { ...init, signal });
      if (last || !RETRYABLE_STATUS.has(response.status)) return response;
      await response.body?.cancel();
    } catch (error) {
      if (last || Date.now() >= deadlineAt) throw error;
    }
    const delayMs = Math.random() * BASE_DELAY_MS * 2 ** retries;
    if (Date.now() + delayMs >= deadlineAt) throw new Error('deadline exceeded');
    await sleep(delayMs);
  }
}
