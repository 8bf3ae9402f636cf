/**
 * The bank's book of executed payments, keyed by the caller's Idempotency-Key.
 * A key executes once: the same key with the same payment returns the first
 * result again; the same key with a payment that differs in any field, the
 * caller's `transferId` included, is refused, as Stripe refuses a key reused
 * with other parameters. A caller that re-sends a payment must send it
 * identically, or learn that it did not.
 */

/**
 * @typedef {object} Payment
 * @property {string} transferId the caller's id for the transfer
 * @property {number} amount minor units
 * @property {string} currency ISO 4217
 * @property {string} from account
 * @property {string} to account
 */

/**
 * @typedef {object} Execution
 * @property {string} bankReference the bank's id for the executed payment
 * @property {string} transferId the transferId of the FIRST request with this key
 * @property {string} status always `settled`
 * @property {string} fingerprint what must match for a replay
 */

/**
 * @typedef {{ outcome: 'executed' | 'replayed', execution: Execution } | { outcome: 'refused' }} LedgerResult
 */

/**
 * The whole payment, in a fixed field order. The transfer id is part of it: a
 * caller that re-sends under the same key with a new transfer id is asking for
 * another payment, and a bank that answered it with the first one's result
 * would hide that the caller lost track of what it sent.
 * @param {Payment} payment
 */
function fingerprintOf(payment) {
  return JSON.stringify([
    payment.transferId,
    payment.amount,
    payment.currency,
    payment.from,
    payment.to,
  ]);
}

/**
 * What the bank knows of one key: requests seen, whether it executed (0 or 1),
 * re-sends refused, and what it executed as.
 * @typedef {{ hits: number, executions: number, refused: number, bankReference?: string, transferId?: string }} KeyRecord
 */

/** Creates an empty ledger. */
export function createLedger() {
  /** @type {Map<string, Execution>} */
  const byKey = new Map();
  /** @type {Map<string, number>} requests seen per key, executed or not */
  const hitsByKey = new Map();
  /** @type {Map<string, number>} re-sends refused per key: same key, other payment */
  const refusedByKey = new Map();
  let sequence = 0;

  return {
    /**
     * Executes `payment` under `key` unless that key already executed; then
     * replays it if the payment is identical, and refuses it otherwise.
     * @param {string} key
     * @param {Payment} payment
     * @returns {LedgerResult}
     */
    execute(key, payment) {
      const fingerprint = fingerprintOf(payment);
      const existing = byKey.get(key);
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) {
          refusedByKey.set(key, (refusedByKey.get(key) ?? 0) + 1);
          return { outcome: 'refused' };
        }
        return { outcome: 'replayed', execution: existing };
      }
      sequence += 1;
      /** @type {Execution} */
      const execution = {
        bankReference: `BNK-${String(sequence).padStart(8, '0')}`,
        transferId: payment.transferId,
        status: 'settled',
        fingerprint,
      };
      byKey.set(key, execution);
      return { outcome: 'executed', execution };
    },

    /**
     * Counts one request under `key`, executed or not (the key may be new).
     * @param {string} key
     */
    countHit(key) {
      hitsByKey.set(key, (hitsByKey.get(key) ?? 0) + 1);
    },

    /**
     * Executions and per-key counts. A key executes at most once, so
     * `executions` per key is 0 or 1 and the total equals the distinct keys
     * that executed.
     */
    snapshot() {
      /** @type {Record<string, KeyRecord>} */
      const keys = {};
      for (const [key, hits] of hitsByKey) {
        const execution = byKey.get(key);
        const refused = refusedByKey.get(key) ?? 0;
        keys[key] = execution
          ? {
              hits,
              executions: 1,
              refused,
              bankReference: execution.bankReference,
              transferId: execution.transferId,
            }
          : { hits, executions: 0, refused };
      }
      return { executions: byKey.size, keys };
    },
  };
}
