/**
 * The one place that talks to the bank. The caller gives every payment an
 * Idempotency-Key and a transfer id that are the same in every execution of
 * the client's request (see app.mjs), so however often the payment is sent
 * (retried by the fetch wrapper, re-run after the client's retry, or after
 * this process crashed mid-request) the bank sees the identical payment under
 * the same key and executes it once. The bank's answers become errors the
 * service answers by what they say about the money:
 *
 * - 2xx: executed (or replayed): the receipt;
 * - 5xx, 429, 409, or no answer at all: the outcome is unknown, 503 + Retry-After
 *   ({@link BankUnavailableError}; bulwark's own deadline and breaker errors
 *   pass through to errorHandler(), which answers them 503 too);
 * - 422: the bank refused a re-sent key for another payment: with stable ids
 *   that is this service's bug, answered 500 ({@link BankRefusedResendError});
 * - any other 4xx: the bank refused the payment, 502 ({@link BankRejectedError}).
 */
import { isBulwarkError } from 'bulwark';
import { createFetch } from 'bulwark/fetch';

/**
 * The fetch every bank call goes through: bulwark/fetch, so each call has a
 * total deadline, per-attempt timeouts, jittered retries that honour
 * `Retry-After` (safe, because every attempt carries the same Idempotency-Key
 * and the same payment), a breaker on the bank's origin and a per-tenant bulkhead.
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

/** The bank refused the payment for good (a 4xx other than 409, 422 and 429): answered as 502. */
export class BankRejectedError extends Error {
  /** @param {number} status */
  constructor(status) {
    super(`the bank refused the payment with status ${status}`);
    this.name = 'BankRejectedError';
    this.status = status;
  }
}

/**
 * The bank refused the payment with 422 because its key was used before for
 * another payment. This service sends the identical payment under the same key
 * in every execution, so this means a bug (a payment field that changed between
 * executions, two payments under one key), and the money may have moved under
 * the first one: it is answered as 500, never as a final 4xx, and counted.
 */
export class BankRefusedResendError extends Error {
  constructor() {
    super('the bank refused a re-sent payment: its key was used for another payment');
    this.name = 'BankRefusedResendError';
  }
}

/**
 * @typedef {object} BankPayment
 * @property {string} transferId the same in every execution of one client request
 * @property {number} amount
 * @property {string} currency
 * @property {string} from
 * @property {string} to
 */

/**
 * What the service keeps from the bank's answer.
 * @typedef {{ bankReference: string | null }} BankReceipt
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
     * @param {{ idempotencyKey: string, signal?: AbortSignal }} options `idempotencyKey`: the
     *   same in every execution of one client request, like the payment itself
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
      return receiptOf(response);
    },
  };
}

/**
 * @param {Response} response
 * @returns {Promise<BankReceipt>}
 */
async function receiptOf(response) {
  if (response.ok) {
    const body = await response.json().catch(() => undefined);
    return receiptFrom(body);
  }
  await response.body?.cancel();
  if (response.status >= 500 || response.status === 429 || response.status === 409) {
    const seconds = Number(response.headers.get('retry-after'));
    const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    throw new BankUnavailableError(`the bank answered ${response.status}`, { retryAfterMs });
  }
  if (response.status === 422) throw new BankRefusedResendError();
  throw new BankRejectedError(response.status);
}

/**
 * A 2xx means the money moved, whatever the body says; read the receipt
 * leniently, since banks name their fields differently.
 * @param {unknown} body
 * @returns {BankReceipt}
 */
function receiptFrom(body) {
  const fields = /** @type {Record<string, unknown>} */ (
    typeof body === 'object' && body !== null ? body : {}
  );
  return {
    bankReference: text(fields.bankReference) ?? text(fields.reference) ?? text(fields.id) ?? null,
  };
}

/** @param {unknown} value a short, printable string, or undefined */
function text(value) {
  const s = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof s === 'string' && /^[\x21-\x7e]{1,128}$/.test(s) ? s : undefined;
}
