/**
 * The demo's clients: they send transfers the way a careful client does (one
 * Idempotency-Key per logical transfer, the same key on every retry, retrying
 * 409 and 503 after `Retry-After`) and record every answer for the report.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One HTTP exchange as the client saw it.
 * @typedef {object} Exchange
 * @property {string} phase the workload phase that sent it
 * @property {string} tenantId
 * @property {string | undefined} jurisdiction
 * @property {string} key the client's Idempotency-Key
 * @property {number} status HTTP status, or 0 when no answer came
 * @property {boolean} replayed `Idempotent-Replayed: true` was set
 * @property {string} body the raw answer body
 * @property {string | undefined} problemType problem+json `type`, if any
 * @property {number | undefined} retryAfterS `Retry-After`, if any
 * @property {number} ms latency as the client measured it
 * @property {number} atMs when it was sent, ms since the demo started
 */

/**
 * @typedef {object} TransferRequest
 * @property {string} phase
 * @property {string} tenantId
 * @property {string} [jurisdiction]
 * @property {string} key
 * @property {unknown} transfer the JSON body
 */

/**
 * @param {string} baseUrl the service
 * @param {number} startedAt `performance.now()` when the demo started
 */
export function createClient(baseUrl, startedAt) {
  /** @type {Exchange[]} */
  const exchanges = [];
  /** Sends that repeated an earlier one with the same key, after 409/503/no answer. */
  const counters = { retries: 0 };
  const url = `${baseUrl}/transfers`;

  /**
   * Sends one request, once.
   * @param {TransferRequest} request
   * @returns {Promise<Exchange>}
   */
  async function send({ phase, tenantId, jurisdiction, key, transfer }) {
    const sentAt = performance.now();
    /** @type {Record<string, string>} */
    const headers = {
      'content-type': 'application/json',
      'idempotency-key': key,
      'x-tenant-id': tenantId,
    };
    if (jurisdiction) headers['x-jurisdiction'] = jurisdiction;
    /** @type {Exchange} */
    const exchange = {
      phase,
      tenantId,
      jurisdiction,
      key,
      status: 0,
      replayed: false,
      body: '',
      problemType: undefined,
      retryAfterS: undefined,
      ms: 0,
      atMs: sentAt - startedAt,
    };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: typeof transfer === 'string' ? transfer : JSON.stringify(transfer),
        signal: AbortSignal.timeout(30_000),
      });
      exchange.status = response.status;
      exchange.body = await response.text();
      exchange.replayed = response.headers.get('idempotent-replayed') === 'true';
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) exchange.retryAfterS = retryAfter;
      if (response.headers.get('content-type')?.startsWith('application/problem+json')) {
        exchange.problemType = JSON.parse(exchange.body).type;
      }
    } catch {
      // status 0: no answer (connection refused, reset or timed out)
    }
    exchange.ms = performance.now() - sentAt;
    exchanges.push(exchange);
    return exchange;
  }

  /**
   * Sends until a final answer: retries, with the same key, on no answer,
   * 409 (still in flight) and 503/504 (try later), waiting `Retry-After`
   * (capped at `maxWaitMs`) with a little jitter, for at most `giveUpMs`.
   * @param {TransferRequest} request
   * @param {{ giveUpMs?: number, maxWaitMs?: number }} [options]
   * @returns {Promise<Exchange>}
   */
  async function submit(request, { giveUpMs = 30_000, maxWaitMs = 1500 } = {}) {
    const deadline = performance.now() + giveUpMs;
    for (;;) {
      const exchange = await send(request);
      const retryable = [0, 409, 503, 504].includes(exchange.status);
      if (!retryable || performance.now() > deadline) return exchange;
      const waitMs = Math.min(maxWaitMs, (exchange.retryAfterS ?? 0.25) * 1000);
      await sleep(waitMs * (0.75 + Math.random() * 0.5));
      counters.retries += 1;
    }
  }

  return { send, submit, exchanges, counters };
}
