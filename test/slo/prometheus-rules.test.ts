import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/index.js';
import { BURN_RATE_ALERT_NAME, defineSlo, prometheusRules } from '../../src/slo/index.js';
import { HTTP_DURATION_SERIES } from '../../src/slo/promql.js';
import { type ExposedSeries, expose, seriesSelector } from './exposition.js';
import { promtool, requirePromtool } from './promtool.js';

const availability = defineSlo({
  name: 'transfers-availability',
  sli: { kind: 'availability' },
  objective: 0.999,
  selector: { routes: ['/transfers'], methods: ['POST'], jurisdictions: ['DE'] },
});
const latency = defineSlo({
  name: 'transfers-latency',
  sli: { kind: 'latency', thresholdSeconds: 0.25 },
  objective: 0.99,
  selector: { routes: ['/transfers'] },
});
/** An integer bound: its `le` matcher must match the exporter's `le="1"`. */
const latencyOneSecond = defineSlo({
  name: 'transfers-latency-1s',
  sli: { kind: 'latency', thresholdSeconds: 1 },
  objective: 0.99,
});
const slos = [availability, latency, latencyOneSecond];

const up = requirePromtool();

describe.skipIf(!up)('generated Prometheus rules, under promtool', () => {
  let dir: string;
  /** The real exporter's series for one OK and one failed POST /transfers (labels only). */
  let ok: ExposedSeries[];
  let failed: ExposedSeries[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bulwark-slo-'));
    await writeFile(join(dir, 'rules.yml'), prometheusRules(slos));
    const request = { method: 'POST', route: '/transfers', jurisdiction: 'DE', tenantId: 'acme' };
    ok = await expose([{ ...request, statusCode: 201, durationSeconds: 0.05 }]);
    failed = await expose([{ ...request, statusCode: 503, durationSeconds: 0.05 }]);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes promtool check rules', async () => {
    const output = await promtool(['check', 'rules', 'rules.yml'], dir);
    // 3 SLOs × (8 ratio windows + budget remaining + 2 alerts) = 33 rules.
    expect(output).toContain('SUCCESS: 33 rules found');
  });

  it('passes promtool check rules with a description full of YAML and template syntax', async () => {
    const tricky = defineSlo({
      name: 'tricky',
      sli: { kind: 'availability' },
      objective: 0.9995,
      description: `it's: "#1" {{ .Labels }} - [x]\n\ttab`,
    });
    await writeFile(join(dir, 'tricky.yml'), prometheusRules([tricky]));
    expect(await promtool(['check', 'rules', 'tricky.yml'], dir)).toContain(
      'SUCCESS: 11 rules found',
    );
  });

  /** promtool input series: the exporter's `_count` series growing by `perMinute` requests. */
  function counts(series: ExposedSeries[], perMinute: number, minutes: number) {
    const count = series.find((one) => one.name === HTTP_DURATION_SERIES.count)!;
    return { series: seriesSelector(count), values: `0+${perMinute}x${minutes}` };
  }

  async function promtoolTest(
    name: string,
    inputSeries: object[],
    evalTime: string,
    expected: object[],
  ) {
    const test = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: inputSeries,
          alert_rule_test: [
            { eval_time: evalTime, alertname: BURN_RATE_ALERT_NAME, exp_alerts: expected },
          ],
        },
      ],
    };
    // JSON is YAML: promtool reads it as such.
    await writeFile(join(dir, `${name}.test.yml`), JSON.stringify(test, null, 2));
    return promtool(['test', 'rules', `${name}.test.yml`], dir);
  }

  const objectives: Record<string, string> = {
    'transfers-availability': '99.9%',
    'transfers-latency': '99%',
    'transfers-latency-1s': '99%',
  };
  const pairs = { page: '1h/5m at 14.4x, 6h/30m at 6x', ticket: '1d/2h at 3x, 3d/6h at 1x' };
  /** An expected alert, with the annotations an on-call engineer reads. */
  const alert = (severity: 'page' | 'ticket', slo: string) => ({
    exp_labels: { severity, slo },
    exp_annotations: {
      summary: `SLO ${slo} is burning its error budget too fast (${severity})`,
      description: `SLO ${slo}: objective ${objectives[slo]} over 28d; burn-rate windows ${pairs[severity]}.`,
    },
  });

  it('pages (and tickets) on a fast burn: 5% errors against 99.9% is a 50x burn', async () => {
    // 10 min in: every ratio reads 5 / 100 = 0.05 > 14.4 × 0.001 = 0.0144 (page) and > 0.003 (ticket).
    const output = await promtoolTest(
      'fast-burn',
      [counts(ok, 95, 120), counts(failed, 5, 120)],
      '10m',
      [alert('page', 'transfers-availability'), alert('ticket', 'transfers-availability')],
    );
    expect(output).toContain('SUCCESS');
  });

  it('opens only a ticket on a slow burn: 0.2% errors is a 2x burn', async () => {
    // 0.002 > 1 × 0.001 on 3d and 6h → ticket; below 0.003 (1d/2h), 0.006 and 0.0144 → no page.
    const output = await promtoolTest(
      'slow-burn',
      [counts(ok, 998, 480), counts(failed, 2, 480)],
      '7h',
      [alert('ticket', 'transfers-availability')],
    );
    expect(output).toContain('SUCCESS');
  });

  it('stays quiet within budget: 0.05% errors is a 0.5x burn', async () => {
    const output = await promtoolTest(
      'healthy',
      [counts(ok, 1999, 480), counts(failed, 1, 480)],
      '7h',
      [],
    );
    expect(output).toContain('SUCCESS');
  });

  it('counts latency from the le bucket at the threshold, integer bounds included', async () => {
    // Per minute 80 requests at 0.05 s and 20 at 2 s: buckets le >= 0.05 grow by 80, le >= 2.5 by 100.
    // Bad share 0.2 for both thresholds (0.25 s and 1 s) against 99%: burn 20 > 14.4 → page and ticket.
    const count = ok.find((one) => one.name === HTTP_DURATION_SERIES.count)!;
    const buckets = ok
      .filter((one) => one.name === HTTP_DURATION_SERIES.bucket)
      .map((bucket) => {
        const le =
          bucket.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket.labels.le);
        const perMinute = le >= 2.5 ? 100 : le >= 0.05 ? 80 : 0;
        return { series: seriesSelector(bucket), values: `0+${perMinute}x60` };
      });
    const output = await promtoolTest(
      'latency',
      [{ series: seriesSelector(count), values: '0+100x60' }, ...buckets],
      '30m',
      ['transfers-latency', 'transfers-latency-1s'].flatMap((slo) => [
        alert('page', slo),
        alert('ticket', slo),
      ]),
    );
    expect(output).toContain('SUCCESS');
  });
});

describe('prometheusRules options', () => {
  it('refuses an SLO that selects on tenant class: no exported label carries it', () => {
    const premium = defineSlo({
      name: 'premium',
      sli: { kind: 'availability' },
      objective: 0.999,
      selector: { tenantClasses: ['premium'] },
    });
    expect(() => prometheusRules([premium])).toThrow(/tenantClasses/);
    try {
      prometheusRules([premium]);
    } catch (error) {
      expect(isBulwarkError(error, 'BULWARK_INVALID_OPTIONS')).toBe(true);
    }
  });

  it('refuses duplicate SLO names and a malformed interval', () => {
    expect(() => prometheusRules([availability, availability])).toThrow(/unique SLO names/);
    expect(() => prometheusRules([availability], { interval: 'soon' })).toThrow(/interval/);
  });

  it('adds extra matchers and escapes regex metacharacters in routes', () => {
    const odd = defineSlo({
      name: 'odd',
      sli: { kind: 'availability' },
      objective: 0.99,
      selector: { routes: ['/a.b', '/c(d)'] },
    });
    const yaml = prometheusRules([odd], { matchers: { job: 'payments' } });
    expect(yaml).toContain('http_route=~"/a\\\\.b|/c\\\\(d\\\\)"');
    expect(yaml).toContain('job="payments"');
  });
});
