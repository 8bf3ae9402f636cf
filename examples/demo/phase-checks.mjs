/**
 * The invariants and report lines of the two phases that re-run a payment:
 * the service crash (a process killed mid-payment, a new one re-running its
 * transfers) and the drops (answers lost after paying, the breaker opening,
 * keys released and re-run). Both must end with bank executions = logical
 * transfers and no re-send refused by the bank.
 */

import { DROPS_PHASE } from './drops.mjs';
import { fmtSeconds } from './format.mjs';
import { oneIdenticalPaymentEach, phaseMoney } from './phase-money.mjs';
import { CRASH_PHASE } from './service-crash.mjs';

/**
 * @typedef {object} PhaseEvidence
 * @property {import('./client.mjs').Exchange[]} exchanges
 * @property {import('./workload.mjs').Expectations} expect
 * @property {import('../bank-simulator/bank.mjs').BankStats} bank
 * @property {{ name: string, atMs: number }[]} breaker breaker transitions the service reported
 */

/** @param {PhaseEvidence} evidence */
function crashMoney({ exchanges, expect, bank }) {
  const money = phaseMoney(exchanges, bank, CRASH_PHASE, expect.crash.bankKeys);
  const originals = new Set(expect.crash.executedBeforeKill.map((e) => e.transferId));
  const withOriginalId = money.ids.filter((id) => originals.has(id)).length;
  return { money, withOriginalId };
}

/**
 * The breaker's first opening while the bank dropped answers (or within a
 * second after: the service sees the last drops that late at most).
 * @param {PhaseEvidence} evidence
 */
function dropsOpening({ expect, breaker }) {
  const { startedAtMs, endedAtMs } = expect.drops;
  return breaker.find(
    (t) => t.name === 'open' && t.atMs >= startedAtMs && t.atMs <= endedAtMs + 1000,
  );
}

/**
 * @param {PhaseEvidence} evidence
 * @returns {import('./invariants.mjs').Invariant[]}
 */
export function phaseInvariants(evidence) {
  const { crash } = evidence.expect;
  const { money, withOriginalId } = crashMoney(evidence);
  const drops = phaseMoney(
    evidence.exchanges,
    evidence.bank,
    DROPS_PHASE,
    evidence.expect.drops.bankKeys,
  );
  const opened = dropsOpening(evidence);
  return [
    {
      name: 'a service SIGKILLed mid-payment and restarted: every transfer ended 201 with its original transfer id',
      ok:
        crash.transfers > 0 &&
        crash.executedBeforeKill.length === crash.transfers &&
        crash.answeredBeforeKill === 0 &&
        withOriginalId === crash.transfers,
      detail: `${withOriginalId} of ${crash.transfers} (at the kill the bank had executed ${crash.executedBeforeKill.length} and the clients had ${crash.answeredBeforeKill} answers)`,
    },
    {
      name: 'after the crash: bank executions = logical transfers, 0 refused re-sends',
      ok: oneIdenticalPaymentEach(money),
      detail: moneyDetail(money),
    },
    {
      name: 'answers dropped after paying opened the breaker; the released keys re-ran to 201',
      ok: opened !== undefined && drops.reRun > 0 && drops.ids.length === drops.transfers,
      detail: `${opened ? `open@${(opened.atMs / 1000).toFixed(1)}s` : 'the breaker did not open'}; ${drops.reRun} of ${drops.transfers} transfers answered 503 after the bank had them, then re-run to 201`,
    },
    {
      name: 'after the drops: bank executions = logical transfers, 0 refused re-sends',
      ok: oneIdenticalPaymentEach(drops),
      detail: moneyDetail(drops),
    },
  ];
}

/**
 * The report's section on the two phases.
 * @param {PhaseEvidence} evidence
 * @returns {string[]}
 */
export function phaseLines(evidence) {
  const { crash, drops: window } = evidence.expect;
  const { money, withOriginalId } = crashMoney(evidence);
  const drops = phaseMoney(evidence.exchanges, evidence.bank, DROPS_PHASE, window.bankKeys);
  const opened = dropsOpening(evidence);
  return [
    `Service crash mid-payment (SIGKILL ${fmtSeconds(crash.killedAtMs)}, listening again ${fmtSeconds(crash.restartedAtMs)})`,
    `  in flight at the kill         ${crash.transfers} transfers; the bank had executed ${crash.executedBeforeKill.length} and was holding the answers`,
    `  after the restart             ${withOriginalId} of ${crash.transfers} ended 201 with the transfer id the bank executed before the kill`,
    `  bank                          ${moneyDetail(money)}`,
    '',
    `Bank drops its answers after paying (${fmtSeconds(window.startedAtMs)} – ${fmtSeconds(window.endedAtMs)})`,
    `  breaker                       ${opened ? `opened ${fmtSeconds(opened.atMs)}` : 'did not open'}`,
    `  released and re-run           ${drops.reRun} of ${drops.transfers} transfers answered 503 after the bank had them, then 201 on a re-run`,
    `  bank                          ${moneyDetail(drops)}`,
  ];
}

/** @param {import('./phase-money.mjs').PhaseMoney} money */
function moneyDetail({ executions, transfers, bankKeys, refused }) {
  return `${executions} executions for ${transfers} logical transfers under ${bankKeys} keys; ${refused} refused re-sends`;
}
