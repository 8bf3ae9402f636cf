import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { defineSlo, openSloYaml, prometheusRules } from '../../src/slo/index.js';

const availability = defineSlo({
  name: 'transfers-availability',
  sli: { kind: 'availability' },
  objective: 0.999,
  selector: { routes: ['/transfers'], jurisdictions: ['DE', 'FR'] },
  // Quotes, a colon, a hash, a template brace and a newline: none may change the YAML's shape.
  description: `Transfers don't fail: "#1" {{ priority }}\nsecond line`,
});
const latency = defineSlo({
  name: 'transfers-latency',
  sli: { kind: 'latency', thresholdSeconds: 0.5 },
  objective: 0.95,
  windowDays: 7,
});

describe('openSloYaml', () => {
  it('writes one OpenSLO v1 SLO document per SLO, over the exported series', () => {
    const documents = parseAllDocuments(
      openSloYaml([availability, latency], { service: 'payments' }),
    );
    expect(documents.map((doc) => doc.errors)).toEqual([[], []]);
    const [first, second] = documents.map((doc) => doc.toJS());
    const selector =
      'otel_scope_name="bulwark",http_route="/transfers",tenant_jurisdiction=~"DE|FR"';
    expect(first).toEqual({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'transfers-availability', displayName: 'transfers-availability' },
      spec: {
        description: `Transfers don't fail: "#1" {{ priority }}\nsecond line`,
        service: 'payments',
        indicator: {
          metadata: { name: 'transfers-availability' },
          spec: {
            ratioMetric: {
              counter: true,
              bad: {
                metricSource: {
                  type: 'Prometheus',
                  spec: {
                    query: `sum(http_server_request_duration_count{${selector},http_response_status_code=~"5.."})`,
                  },
                },
              },
              total: {
                metricSource: {
                  type: 'Prometheus',
                  spec: { query: `sum(http_server_request_duration_count{${selector}})` },
                },
              },
            },
          },
        },
        timeWindow: [{ duration: '28d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ displayName: 'share of requests served without a 5xx', target: 0.999 }],
      },
    });
    const ratio = second.spec.indicator.spec.ratioMetric;
    expect(ratio.good.metricSource.spec.query).toBe(
      'sum(http_server_request_duration_bucket{otel_scope_name="bulwark",le="0.5"})',
    );
    expect(ratio.bad).toBeUndefined();
    expect(second.spec.timeWindow).toEqual([{ duration: '7d', isRolling: true }]);
    expect(second.spec.objectives[0].target).toBe(0.95);
  });

  it('requires a service name', () => {
    expect(() => openSloYaml([latency], { service: 'Payments Service' })).toThrow(/"service"/);
  });
});

describe('prometheusRules YAML', () => {
  it('parses back to the rule groups, with the description kept verbatim in the annotation', () => {
    const documents = parseAllDocuments(prometheusRules([availability, latency]));
    expect(documents).toHaveLength(1);
    expect(documents[0]!.errors).toEqual([]);
    const { groups } = documents[0]!.toJS() as {
      groups: { name: string; rules: Record<string, unknown>[] }[];
    };
    expect(groups.map((group) => group.name)).toEqual([
      'bulwark-slo-transfers-availability',
      'bulwark-slo-transfers-latency',
    ]);
    const page = groups[0]?.rules.find(
      (rule) => rule.alert && (rule.labels as { severity: string }).severity === 'page',
    );
    // Prometheus annotations are Go templates: the user's "{{" must print as text.
    expect((page!.annotations as { description: string }).description).toBe(
      `Transfers don't fail: "#1" {{ "{{" }} priority }}\nsecond line: objective 99.9% over 28d; burn-rate windows 1h/5m at 14.4x, 6h/30m at 6x.`,
    );
    expect(groups[1]?.rules.map((rule) => rule.record ?? rule.alert)).toContain(
      'slo:sli_error:ratio_rate7d',
    );
  });
});
