import { Attr, Metric } from '../telemetry/attributes.js';
import { lazyInstruments } from '../telemetry/instruments.js';
import { WarningCode, warn } from '../warnings.js';
import type { BurnRateWindow } from './burn-rate.js';
import type { SloSnapshot } from './snapshot.js';

/**
 * Registers one SLO's observable gauges, labelled `slo.name`: budget remaining,
 * burn rate per window, good and bad events in the window, and whether each
 * alert severity fires. One snapshot per collection feeds them all. Returns the
 * function to call on use: through {@link lazyInstruments} it re-registers the
 * gauges when a new meter provider appears (the OTel API has no proxy meter).
 */
export function sloMetrics(name: string, read: () => SloSnapshot): () => unknown {
  return lazyInstruments((meter) => {
    const budget = meter.createObservableGauge(Metric.SloErrorBudgetRemaining, {
      description: 'Share of the error budget left in the SLO window (1 untouched, <= 0 spent)',
      unit: '1',
    });
    const burnRate = meter.createObservableGauge(Metric.SloBurnRate, {
      description:
        'Error budget burn rate over a window (1 = spends the budget over the SLO window)',
      unit: '1',
    });
    const events = meter.createObservableGauge(Metric.SloEvents, {
      description: 'Events counted in the SLO window, by outcome',
      unit: '{event}',
    });
    const alert = meter.createObservableGauge(Metric.SloAlertFiring, {
      description: '1 while a multi-window burn-rate alert of this severity would fire, else 0',
      unit: '1',
    });
    meter.addBatchObservableCallback(
      (result) => {
        try {
          const snapshot = read();
          const slo = { [Attr.SloName]: name };
          result.observe(budget, snapshot.budgetRemaining, slo);
          for (const [window, rate] of Object.entries(snapshot.burnRates)) {
            result.observe(burnRate, rate, { ...slo, [Attr.SloWindow]: window as BurnRateWindow });
          }
          result.observe(events, snapshot.good, { ...slo, [Attr.SloOutcome]: 'good' });
          result.observe(events, snapshot.bad, { ...slo, [Attr.SloOutcome]: 'bad' });
          result.observe(alert, snapshot.paging ? 1 : 0, { ...slo, [Attr.SloSeverity]: 'page' });
          result.observe(alert, snapshot.ticketing ? 1 : 0, {
            ...slo,
            [Attr.SloSeverity]: 'ticket',
          });
        } catch (error) {
          warn(
            WarningCode.Slo,
            `bulwark/slo: ${name}: observing metrics failed: ${String((error as Error)?.message ?? error)}`,
          );
        }
      },
      [budget, burnRate, events, alert],
    );
    return { budget, burnRate, events, alert };
  });
}
