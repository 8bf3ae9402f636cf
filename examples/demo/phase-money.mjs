/**
 * What the bank did for one phase's transfers: its keys first seen during the
 * phase (phases run one after another, so none is another phase's), their
 * executions and refused re-sends, and whether each transfer's 201 carries the
 * transfer id the bank executed under exactly one of them.
 */

/**
 * Groups the exchanges by logical transfer (`tenantId key`).
 * @param {import('./client.mjs').Exchange[]} exchanges
 */
export function byTransfer(exchanges) {
  /** @type {Map<string, import('./client.mjs').Exchange[]>} */
  const groups = new Map();
  for (const e of exchanges) {
    const id = `${e.tenantId} ${e.key}`;
    const list = groups.get(id) ?? [];
    list.push(e);
    groups.set(id, list);
  }
  return groups;
}

/**
 * The bank's keys that are not in `before`: what a phase sent, read at its end.
 * @param {import('../bank-simulator/bank.mjs').BankStats} stats
 * @param {Set<string>} before the keys the bank knew when the phase began
 */
export function keysSince(stats, before) {
  return Object.keys(stats.keys).filter((key) => !before.has(key));
}

/**
 * @typedef {object} PhaseMoney
 * @property {number} transfers logical transfers the phase sent
 * @property {number} bankKeys keys the bank first saw during the phase
 * @property {number} executions payments the bank executed under them
 * @property {number} refused re-sends the bank refused under them (another payment, same key)
 * @property {string[]} ids each transfer's id from its first 201 (undefined ones left out)
 * @property {number} matched transfers whose 201 id is the transfer id of exactly one bank key
 * @property {number} reRun transfers answered 503 (their key released) after the bank had seen
 *   them, then re-run to a 201
 */

/**
 * @param {import('./client.mjs').Exchange[]} exchanges every exchange of the demo
 * @param {import('../bank-simulator/bank.mjs').BankStats} bank
 * @param {string} phase
 * @param {string[]} bankKeys the bank keys first seen during the phase
 * @returns {PhaseMoney}
 */
export function phaseMoney(exchanges, bank, phase, bankKeys) {
  const records = bankKeys.flatMap((key) => (bank.keys[key] ? [bank.keys[key]] : []));
  const sum = (/** @type {'executions' | 'refused'} */ field) =>
    records.reduce((total, record) => total + record[field], 0);
  const groups = byTransfer(exchanges.filter((e) => e.phase === phase));
  /** @type {string[]} */
  const ids = [];
  let matched = 0;
  let reRun = 0;
  for (const list of groups.values()) {
    const created = list.find((e) => e.status === 201);
    const id = created === undefined ? undefined : idOf(created.body);
    if (created === undefined || id === undefined) continue;
    ids.push(id);
    const mine = records.filter((record) => record.transferId === id);
    if (mine.length === 1) matched += 1;
    const released = list.some((e) => e.status === 503 && e.atMs < created.atMs);
    if (released && mine.some((record) => record.hits >= 2)) reRun += 1;
  }
  return {
    transfers: groups.size,
    bankKeys: records.length,
    executions: sum('executions'),
    refused: sum('refused'),
    ids,
    matched,
    reRun,
  };
}

/**
 * Bank executions = logical transfers, one key each, every 201 under its own key, nothing refused.
 * @param {PhaseMoney} money
 */
export function oneIdenticalPaymentEach(money) {
  const { transfers, bankKeys, executions, refused, matched } = money;
  return (
    transfers > 0 &&
    executions === transfers &&
    bankKeys === transfers &&
    matched === transfers &&
    refused === 0
  );
}

/** @param {string} body a 201's body */
function idOf(body) {
  try {
    const { id } = JSON.parse(body);
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
