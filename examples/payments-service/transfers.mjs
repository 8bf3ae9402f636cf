/**
 * What a transfer request may contain. Checked before the idempotency key is
 * claimed, so a bad request is refused with 400, never stored, never replayed
 * and never sent to the bank.
 */

/** The ISO 4217 currencies this service settles. */
export const CURRENCIES = Object.freeze([
  'AUD',
  'BRL',
  'CAD',
  'CHF',
  'CZK',
  'DKK',
  'EUR',
  'GBP',
  'HKD',
  'INR',
  'JPY',
  'MXN',
  'NOK',
  'NZD',
  'PLN',
  'SEK',
  'SGD',
  'USD',
  'ZAR',
]);

/** Longest account identifier accepted, in characters. */
export const MAX_ACCOUNT_LENGTH = 64;

const FIELDS = ['amount', 'currency', 'from', 'to'];
// Printable, no control characters: account ids end up in logs and bank files.
const ACCOUNT = /^[^\p{Cc}\p{Cf}]+$/u;

/**
 * @typedef {object} Transfer
 * @property {number} amount positive integer, minor units
 * @property {string} currency ISO 4217, one of {@link CURRENCIES}
 * @property {string} from debited account
 * @property {string} to credited account
 */

/** @typedef {{ field: string, detail: string }} FieldError */

/**
 * Validates a parsed JSON body.
 * @param {unknown} body
 * @returns {{ ok: true, transfer: Transfer } | { ok: false, errors: FieldError[] }}
 */
export function validateTransfer(body) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '', detail: 'the body must be a JSON object' }] };
  }
  const input = /** @type {Record<string, unknown>} */ (body);
  /** @type {FieldError[]} */
  const errors = [];
  for (const field of Object.keys(input)) {
    if (!FIELDS.includes(field)) errors.push({ field, detail: 'unknown field' });
  }
  const { amount, currency, from, to } = input;
  if (!Number.isSafeInteger(amount) || /** @type {number} */ (amount) <= 0) {
    errors.push({ field: 'amount', detail: 'must be a positive integer of minor units' });
  }
  if (typeof currency !== 'string' || !CURRENCIES.includes(currency)) {
    errors.push({ field: 'currency', detail: `must be one of ${CURRENCIES.join(', ')}` });
  }
  for (const [field, value] of /** @type {const} */ ([
    ['from', from],
    ['to', to],
  ])) {
    if (!isAccount(value)) {
      errors.push({
        field,
        detail: `must be a non-empty string of at most ${MAX_ACCOUNT_LENGTH} printable characters`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    transfer: /** @type {Transfer} */ ({ amount, currency, from, to }),
  };
}

/** @param {unknown} value */
function isAccount(value) {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_ACCOUNT_LENGTH &&
    ACCOUNT.test(value)
  );
}
