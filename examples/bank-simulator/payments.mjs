/**
 * `POST /payments`: validate, let the fault switch decide the request's fate,
 * execute through the ledger (once per key), answer. Faults that drop the
 * connection after executing are the ones that make idempotency keys matter:
 * the money moved, and the caller cannot know. A re-sent key whose payment
 * differs in any field is refused with 422 and counted in `refused`: a caller
 * that reaches it re-sent something other than what it first sent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readJson, send } from './http-json.mjs';

const KEY = /^[\x21-\x7e]{1,255}$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * @typedef {object} Counters
 * @property {number} hits every `POST /payments` that reached the bank
 * @property {number} replays the identical payment again under a key that already executed
 *   (answered from the bank's record, or dropped by a fault)
 * @property {number} refused a key re-sent with another payment: 422, nothing executed
 * @property {number} rejected invalid key or body: 400
 */

/**
 * What the request handlers share.
 * @typedef {object} BankState
 * @property {ReturnType<typeof import('./ledger.mjs').createLedger>} ledger
 * @property {ReturnType<typeof import('./faults.mjs').createFaults>} faults
 * @property {Counters} counters
 * @property {number} maxBodyBytes
 */

/**
 * @param {BankState} state
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
export async function payments(state, req, res) {
  const { ledger, faults, counters } = state;
  counters.hits += 1;
  const key = req.headers['idempotency-key'];
  const body = await readJson(req, state.maxBodyBytes);
  if (typeof key !== 'string' || !KEY.test(key)) return reject(res, counters, 'Idempotency-Key');
  ledger.countHit(key);
  const payment = body.ok ? parsePayment(body.value) : undefined;
  if (payment === undefined) return reject(res, counters, 'payment body');

  const fault = faults.next();
  if (fault.kind === 'unavailable') {
    if (fault.retryAfterS !== undefined) res.setHeader('Retry-After', String(fault.retryAfterS));
    return send(res, 503, { error: 'bank unavailable' });
  }
  if (fault.kind === 'reset') return void req.socket.destroy();

  const result = ledger.execute(key, payment);
  if (result.outcome === 'refused') {
    counters.refused += 1;
    return send(res, 422, {
      error: 'idempotency_key_reused',
      message: 'this Idempotency-Key was used with a different payment',
    });
  }
  if (result.outcome === 'replayed') counters.replays += 1;
  // Processed (executed or replayed), and the answer never leaves.
  if (fault.kind === 'drop') return void req.socket.destroy();
  if (fault.kind === 'slow') await sleep(fault.delayMs);
  const { bankReference, transferId, status } = result.execution;
  if (result.outcome === 'replayed') res.setHeader('Idempotent-Replayed', 'true');
  send(res, result.outcome === 'executed' ? 201 : 200, { bankReference, transferId, status });
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {Counters} counters
 * @param {string} what
 */
function reject(res, counters, what) {
  counters.rejected += 1;
  send(res, 400, { error: `missing or invalid ${what}` });
}

/**
 * @param {unknown} value
 * @returns {import('./ledger.mjs').Payment | undefined}
 */
function parsePayment(value) {
  if (typeof value !== 'object' || value === null) return undefined;
  const { transferId, amount, currency, from, to } = /** @type {Record<string, unknown>} */ (value);
  const text = (/** @type {unknown} */ v) =>
    typeof v === 'string' && v.length > 0 && v.length <= 64;
  if (!text(transferId) || !text(from) || !text(to)) return undefined;
  if (!Number.isSafeInteger(amount) || /** @type {number} */ (amount) <= 0) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  return /** @type {import('./ledger.mjs').Payment} */ ({ transferId, amount, currency, from, to });
}
