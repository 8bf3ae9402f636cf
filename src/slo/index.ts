/**
 * `bulwark/slo`: service level objectives in code. `defineSlo()` tracks an
 * SLO's error budget and burn rates in process, with fixed memory, from the
 * requests `requestMetrics()` feeds it; the generators turn the same SLOs into
 * Prometheus recording and alerting rules and OpenSLO documents.
 */

export type { AlertSeverity, BurnRateAlertRule, BurnRateWindow } from './burn-rate.js';
export { BURN_RATE_ALERTS, BURN_RATE_WINDOWS_MS } from './burn-rate.js';
export type { Slo } from './define-slo.js';
export { defineSlo } from './define-slo.js';
export type { SloDefinition } from './definition.js';
export { formatBudget } from './format-budget.js';
export { HTTP_DURATION_BUCKETS_SECONDS } from './http-buckets.js';
export type { OpenSloOptions } from './openslo.js';
export { openSloYaml } from './openslo.js';
export type {
  AvailabilitySli,
  LatencySli,
  SliOptions,
  SloOptions,
  SloSelector,
} from './options.js';
export type { PrometheusRulesOptions } from './prometheus-rules.js';
export {
  BURN_RATE_ALERT_NAME,
  prometheusRules,
} from './prometheus-rules.js';
export type { SliEvent } from './sli-event.js';
export type { BurnRateAlertReading, SloSnapshot } from './snapshot.js';
