import type { LiveSet } from '../live-set.js';
import type { Slo } from '../slo/define-slo.js';
import { Attr } from '../telemetry/attributes.js';
import type { WriteLine } from './logger.js';

/**
 * The SLO part of `logEvents()`: one error line when an SLO's error budget
 * becomes exhausted (the SLO's own hook fires on that edge only).
 */
export function sloLog(slos: LiveSet<Slo>, write: WriteLine): () => void {
  return slos.tap((slo) =>
    slo.onBudgetExhausted((snapshot) => {
      write(
        'error',
        {
          [Attr.EventName]: 'bulwark.slo.budget_exhausted',
          [Attr.SloName]: snapshot.name,
          'slo.objective': snapshot.objective,
          'slo.budget_remaining': snapshot.budgetRemaining,
          'slo.events': snapshot.total,
          'slo.bad_events': snapshot.bad,
        },
        'SLO error budget exhausted',
      );
    }),
  );
}
