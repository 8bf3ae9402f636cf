/**
 * The bank's book of executed payments, keyed by the caller's Idempotency-Key.
 * A key executes once: the same key with the same payment returns the first
 * result again; the same key with a different payment is refused, as a real
 * bank's API would refuse it.
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
 * @typedef {{ outcome: 'executed' | 'replayed', execution: Execution } | { outcome: 'mismatch' }} LedgerResult
 */

/** @param {Payment} payment */
function fingerprintOf(payment) {
  // transferId is deliberately not part of it: a caller that crashed and
  // retried with a fresh transfer id but the same key is the same payment.
  return JSON.stringify([payment.amount, payment.currency, payment.from, payment.to]);
}

/** Creates an empty ledger. */
export function createLedger() {
  /** @type {Map<string, Execution>} */
  const byKey = new Map();
  /** @type {Map<string, number>} requests seen per key, executed or not */
  const hitsByKey = new Map();
  let sequence = 0;

  return {
    /**
     * Executes `payment` under `key` unless that key already executed.
     * @param {string} key
     * @param {Payment} payment
     * @returns {LedgerResult}
     */
    execute(key, payment) {
      const fingerprint = fingerprintOf(payment);
      const existing = byKey.get(key);
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) return { outcome: 'mismatch' };
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
      /** @type {Record<string, { hits: number, executions: number, bankReference?: string, transferId?: string }>} */
      const keys = {};
      for (const [key, hits] of hitsByKey) {
        const execution = byKey.get(key);
        keys[key] = execution
          ? {
              hits,
              executions: 1,
              bankReference: execution.bankReference,
              transferId: execution.transferId,
            }
          : { hits, executions: 0 };
      }
      return { executions: byKey.size, keys };
    },
  };
}
