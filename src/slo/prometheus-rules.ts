import { invalidOption } from '../errors.js';
import {
  allowedBadShare,
  BURN_RATE_ALERTS,
  BURN_RATE_WINDOWS_MS,
  type BurnRateAlertRule,
} from './burn-rate.js';
import type { Slo } from './define-slo.js';
import type { SloDefinition } from './definition.js';
import { errorRatio, promString, selectorMatchers } from './promql.js';
import { toYaml, type YamlValue } from './yaml.js';

/** Options of {@link prometheusRules}. */
export interface PrometheusRulesOptions {
  /**
   * Extra equality matchers added to every query, e.g. `{ job: 'payments' }`
   * when several services export the same histogram. Default none.
   */
  matchers?: Readonly<Record<string, string>>;
  /** Evaluation interval of each rule group, a Prometheus duration. Default `'1m'`. */
  interval?: string;
}

/** Defaults of {@link PrometheusRulesOptions}. */
export const PROMETHEUS_RULES_DEFAULTS = {
  matchers: {} as Readonly<Record<string, string>>,
  interval: '1m',
} as const;

/** The alert every generated burn-rate rule raises; `severity` and `slo` labels tell them apart. */
export const BURN_RATE_ALERT_NAME = 'SloErrorBudgetBurn';

const SCOPE = 'prometheusRules';
const DURATION = /^[0-9]+(ms|s|m|h|d|w|y)$/;

/**
 * Generates a Prometheus rule file (YAML) for `slos`, over the series
 * `requestMetrics()` exports. One group per SLO holds, in order:
 * `slo:sli_error:ratio_rate<window>` for each burn window and the SLO window,
 * `slo:error_budget_remaining:ratio`, and the multi-window multi-burn-rate
 * alerts `SloErrorBudgetBurn` with `severity="page"` (1h/5m at 14.4×, 6h/30m
 * at 6×) and `severity="ticket"` (1d/2h at 3×, 3d/6h at 1×). Recording and
 * alerting rules share a group so each evaluation alerts on fresh ratios.
 *
 * @throws BulwarkError `BULWARK_INVALID_OPTIONS` for an SLO that selects on
 * tenant class (no exported label carries it) or an invalid option.
 */
export function prometheusRules(
  slos: readonly Pick<Slo, 'definition'>[],
  options: PrometheusRulesOptions = {},
): string {
  const matchers = options.matchers ?? PROMETHEUS_RULES_DEFAULTS.matchers;
  const interval = options.interval ?? PROMETHEUS_RULES_DEFAULTS.interval;
  if (typeof interval !== 'string' || !DURATION.test(interval)) {
    throw invalidOption(SCOPE, 'interval', interval, "a Prometheus duration such as '1m'");
  }
  const names = new Set(slos.map((slo) => slo.definition.name));
  if (names.size !== slos.length)
    throw invalidOption(SCOPE, 'slos', [...names], 'unique SLO names');
  const groups = slos.map(({ definition }) => ruleGroup(definition, matchers, interval));
  return toYaml({ groups });
}

function ruleGroup(slo: SloDefinition, extra: Readonly<Record<string, string>>, interval: string) {
  const matchers = selectorMatchers(slo, extra, SCOPE);
  const sloWindow = `${slo.windowDays}d`;
  const windows = [...Object.keys(BURN_RATE_WINDOWS_MS), sloWindow];
  const labels = { slo: slo.name };
  const recording: YamlValue[] = [...new Set(windows)].map((window) => ({
    record: `slo:sli_error:ratio_rate${window}`,
    expr: errorRatio(slo, matchers, window),
    labels,
  }));
  recording.push({
    record: 'slo:error_budget_remaining:ratio',
    expr: `1 - (slo:sli_error:ratio_rate${sloWindow}{slo=${promString(slo.name)}} / ${number(allowedBadShare(slo.objective))})`,
    labels,
  });
  const alerts = (['page', 'ticket'] as const).map((severity) =>
    burnAlert(
      slo,
      BURN_RATE_ALERTS.filter((rule) => rule.severity === severity),
    ),
  );
  return { name: `bulwark-slo-${slo.name}`, interval, rules: [...recording, ...alerts] };
}

function burnAlert(slo: SloDefinition, rules: readonly BurnRateAlertRule[]): YamlValue {
  const severity = rules[0]!.severity;
  const ratio = (window: string) =>
    `slo:sli_error:ratio_rate${window}{slo=${promString(slo.name)}}`;
  const pairs = rules.map((rule) => {
    const threshold = number(rule.factor * allowedBadShare(slo.objective));
    return `(${ratio(rule.longWindow)} > ${threshold} and ${ratio(rule.shortWindow)} > ${threshold})`;
  });
  const pairText = rules.map((r) => `${r.longWindow}/${r.shortWindow} at ${r.factor}x`).join(', ');
  return {
    alert: BURN_RATE_ALERT_NAME,
    expr: pairs.join(' or '),
    labels: { severity, slo: slo.name },
    annotations: {
      summary: `SLO ${slo.name} is burning its error budget too fast (${severity})`,
      description: `${templateLiteral(slo.description ?? `SLO ${slo.name}`)}: objective ${number(slo.objective * 100)}% over ${slo.windowDays}d; burn-rate windows ${pairText}.`,
    },
  };
}

/** A threshold as PromQL writes it, without binary-float noise (`0.0144`, not `0.014400000000000001`). */
function number(value: number): string {
  return String(Number(value.toPrecision(12)));
}

/** Annotations are Go templates in Prometheus: a user's `{{` must print as text. */
function templateLiteral(text: string): string {
  return text.replaceAll('{{', '{{ "{{" }}');
}
