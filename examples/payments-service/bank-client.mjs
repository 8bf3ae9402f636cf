/**
 * The one place that talks to the bank. Every call carries an Idempotency-Key
 * derived from (tenant, client key), so however often the payment is retried
 * (by the fetch wrapper, by the client after a 503, or after this process
 * crashed mid-request) the bank executes it once.
 */
import { createHash } from 'node:crypto';
import { isBulwarkError } from 'bulwark';
import { createFetch } from 'bulwark/fetch';

/**
 * The bank's idempotency key for one client request. Deterministic, so a retry
 * after a crash derives the same key; a hash, so the raw client key never
 * leaves this service and two tenants' equal keys never collide at the bank.
 * NUL cannot occur in a tenant id or a header value, so the join is unambiguous.
 * @param {string} tenantId
 * @param {string} clientKey
 * @returns {string} 64 hex characters
 */
export function deriveBankKey(tenantId, clientKey) {
  return createHash('sha256')
    .update(`payments-service/bank-idempotency-key/v1\0${tenantId}\0${clientKey}`)
    .digest('hex');
}

/**
 * The fetch every bank call goes through: bulwark/fetch, so each call has a
 * total deadline, per-attempt timeouts, jittered retries that honour
 * `Retry-After` (safe, because every attempt carries the same derived
 * Idempotency-Key), a breaker on the bank's origin and a per-tenant bulkhead.
 * The breaker counts consecutive failures: there is one bank, and a run of
 * failures from it is the signal, whatever the traffic.
 * @param {{ name: string, totalTimeoutMs: number, attemptTimeoutMs: number, breakDurationMs: number }} settings
 * @returns {typeof globalThis.fetch}
 */
export function createBankFetch({ name, totalTimeoutMs, attemptTimeoutMs, breakDurationMs }) {
  return createFetch({
    name,
    resilience: {
      deadline: { totalTimeoutMs },
      attemptTimeout: { timeoutMs: attemptTimeoutMs },
      breaker: { mode: 'consecutive', consecutiveFailures: 5, breakDurationMs },
    },
  });
}

/**
 * The client key as idempotency() reads it: the structured-field string form
 * `"abc"` is the same key as the bare `abc`, so both derive the same bank key.
 * @param {string} raw the Idempotency-Key header, already validated
 */
export function normaliseClientKey(raw) {
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
}

/**
 * The bank could not be reached or answered 5xx: the outcome is unknown, so
 * the client should retry with the same Idempotency-Key (answered as 503).
 */
export class BankUnavailableError extends Error {
  /**
   * @param {string} message
   * @param {{ retryAfterMs?: number, cause?: unknown }} [options]
   */
  constructor(message, options = {}) {
    super(message, { cause: options.cause });
    this.name = 'BankUnavailableError';
    this.retryAfterMs = options.retryAfterMs ?? 1000;
  }
}

/** The bank refused the payment for good (4xx): answered as 502. */
export class BankRejectedError extends Error {
  /** @param {number} status */
  constructor(status) {
    super(`the bank refused the payment with status ${status}`);
    this.name = 'BankRejectedError';
    this.status = status;
  }
}

/**
 * @typedef {object} BankPayment
 * @property {string} transferId
 * @property {number} amount
 * @property {string} currency
 * @property {string} from
 * @property {string} to
 */

/**
 * What the service keeps from the bank's answer.
 * @typedef {{ bankReference: string | null, transferId: string }} BankReceipt
 */

/**
 * @param {{ bankUrl: URL, fetch: typeof globalThis.fetch }} deps
 */
export function createBankClient({ bankUrl, fetch }) {
  const paymentsUrl = new URL('payments', bankUrl.href.endsWith('/') ? bankUrl : `${bankUrl}/`);

  return {
    /**
     * Sends one payment; resolves with the bank's receipt.
     * @param {BankPayment} payment
     * @param {{ idempotencyKey: string, signal?: AbortSignal }} options
     * @returns {Promise<BankReceipt>}
     */
    async pay(payment, { idempotencyKey, signal }) {
      let response;
      try {
        response = await fetch(paymentsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify(payment),
          signal,
        });
      } catch (error) {
        // bulwark's own errors (breaker open, deadline, bulkhead) keep their
        // codes for errorHandler(); anything else is a network failure.
        if (isBulwarkError(error)) throw error;
        throw new BankUnavailableError('the bank could not be reached', { cause: error });
      }
      return receiptOf(response, payment.transferId);
    },
  };
}

/**
 * @param {Response} response
 * @param {string} transferId the id this call sent
 * @returns {Promise<BankReceipt>}
 */
async function receiptOf(response, transferId) {
  if (response.ok) {
    const body = await response.json().catch(() => undefined);
    return receiptFrom(body, transferId);
  }
  await response.body?.cancel();
  if (response.status >= 500 || response.status === 429 || response.status === 409) {
    const seconds = Number(response.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    throw new BankUnavailableError(`the bank answered ${response.status}`, { retryAfterMs });
  }
  throw new BankRejectedError(response.status);
}

/**
 * A 2xx means the money moved, whatever the body says; read the receipt
 * leniently, since banks name their fields differently. A bank that kept the
 * transfer id of an earlier attempt under this key (a retry after a crash)
 * returns that one, and it wins over the id this call sent.
 * @param {unknown} body
 * @param {string} transferId
 * @returns {BankReceipt}
 */
function receiptFrom(body, transferId) {
  const fields = /** @type {Record<string, unknown>} */ (
    typeof body === 'object' && body !== null ? body : {}
  );
  return {
    bankReference: text(fields.bankReference) ?? text(fields.reference) ?? text(fields.id) ?? null,
    transferId: text(fields.transferId) ?? transferId,
  };
}

/** @param {unknown} value a short, printable string, or undefined */
function text(value) {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof s === 'string' && /^[\x21-\x7e]{1,128}$/.test(s) ? s : undefined;
}
