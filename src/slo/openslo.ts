import { invalidOption } from '../errors.js';
import type { Slo } from './define-slo.js';
import type { SloDefinition } from './definition.js';
import { ratioSeries, selectorMatchers, totalSeries } from './promql.js';
import { toYaml } from './yaml.js';

/** Options of {@link openSloYaml}. */
export interface OpenSloOptions {
  /** The OpenSLO `spec.service` the SLOs belong to (a DNS label). No default. */
  service: string;
  /** Extra equality matchers added to every query, as in `prometheusRules()`. Default none. */
  matchers?: Readonly<Record<string, string>>;
}

/** Defaults of {@link OpenSloOptions}. */
export const OPENSLO_DEFAULTS = {
  matchers: {} as Readonly<Record<string, string>>,
} as const;

const SCOPE = 'openSloYaml';
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Describes `slos` as OpenSLO v1 documents (`apiVersion: openslo/v1`, `kind:
 * SLO`), one YAML document each: an inline ratio indicator over the same
 * Prometheus counters as `prometheusRules()` (`counter: true`, so tools apply
 * `rate` themselves), a rolling time window and an occurrences budget.
 */
export function openSloYaml(
  slos: readonly Pick<Slo, 'definition'>[],
  options: OpenSloOptions,
): string {
  const service = options?.service;
  if (typeof service !== 'string' || !NAME.test(service)) {
    throw invalidOption(
      SCOPE,
      'service',
      service,
      'a lower-case DNS label ([a-z0-9-], 1-63 chars)',
    );
  }
  const matchers = options.matchers ?? OPENSLO_DEFAULTS.matchers;
  return slos
    .map(({ definition }) => toYaml(document(definition, service, matchers)))
    .join('---\n');
}

function document(slo: SloDefinition, service: string, extra: Readonly<Record<string, string>>) {
  const matchers = selectorMatchers(slo, extra, SCOPE);
  const source = (query: string) => ({ metricSource: { type: 'Prometheus', spec: { query } } });
  const counted = source(`sum(${ratioSeries(slo, matchers)})`);
  const sli =
    slo.sli.kind === 'latency'
      ? `share of requests served within ${slo.sli.thresholdSeconds}s`
      : 'share of requests served without a 5xx';
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: { name: slo.name, displayName: slo.name },
    spec: {
      description: slo.description ?? `${sli} (bulwark/slo)`,
      service,
      indicator: {
        metadata: { name: slo.name },
        spec: {
          ratioMetric: {
            counter: true,
            ...(slo.sli.kind === 'latency' ? { good: counted } : { bad: counted }),
            total: source(`sum(${totalSeries(matchers)})`),
          },
        },
      },
      timeWindow: [{ duration: `${slo.windowDays}d`, isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ displayName: sli, target: slo.objective }],
    },
  };
}
