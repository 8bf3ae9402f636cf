/**
 * Checks of the statistics, the interleaving and the target verdicts the
 * reports rest on (`npm test` in benchmarks/, node:test). No timing here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartSvg } from '../chart.mjs';
import {
  compareTimeAndCpu,
  group,
  interleave,
  pairedRatio,
  quantile,
  summarise,
} from '../harness.mjs';
import { amplification, javascriptBudget } from '../profile/load-budget.mjs';
import { evaluateTargets } from '../targets.mjs';

describe('statistics', () => {
  it('interpolates quantiles between sorted values', () => {
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([10], 0.25), 10);
    assert.equal(quantile([1, 2, 3, 4, 5], 0.25), 2);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('summarises median and interquartile range', () => {
    assert.deepEqual(summarise([5, 1, 3, 2, 4]), { median: 3, p25: 2, p75: 4 });
  });

  it('takes ratios per round, so a drift common to both series cancels out', () => {
    const baseline = [100, 200, 400];
    const candidate = [150, 300, 600];
    assert.deepEqual(pairedRatio(candidate, baseline), { median: 1.5, p25: 1.5, p75: 1.5 });
  });
});

describe('interleave', () => {
  it('visits every case once per round, reversing the order every other round', async () => {
    const visits = [];
    const series = await interleave(['a', 'b', 'c'], 3, async (c, round) => {
      visits.push(`${round}${c}`);
      return round;
    });
    assert.deepEqual(visits, ['0a', '0b', '0c', '1c', '1b', '1a', '2a', '2b', '2c']);
    assert.deepEqual(series, [
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
  });
});

function httpResults(bare, span, stack, handRolled) {
  const cases = [
    { id: 'bare', label: 'bare' },
    { id: 'otel-span', label: 'span' },
    { id: 'bulwark-memory', label: 'bulwark' },
    ...(handRolled ? [{ id: 'hand-rolled', label: 'hand-rolled' }] : []),
  ];
  const g = group({
    id: 'http-server',
    title: 'http',
    unit: 'req/s',
    better: 'higher',
    cases,
    series: [bare, span, stack, ...(handRolled ? [handRolled] : [])],
  });
  return {
    environment: { mode: 'quick', timestamp: 't', node: 'v20', cpu: 'cpu', cores: 2 },
    scenarios: [{ id: 'http-server', groups: [g] }],
  };
}

describe('targets', () => {
  it('judges a throughput target on the per-round ratio, worst quartile first', () => {
    const results = httpResults(
      [1000, 1000, 1000, 1000],
      [1000, 1000, 1000, 1000],
      [900, 860, 800, 700],
    );
    // Keyed by group too: the Fastify group has a target of the same two case ids.
    const byText = Object.fromEntries(
      evaluateTargets(results).map((t) => [`${t.group}/${t.a}/${t.b}`, t]),
    );
    assert.equal(byText['http-server/bulwark-memory/otel-span'].verdict, 'missed');
    assert.equal(byText['http-server/bulwark-memory/bare'].verdict, 'holds');
    assert.equal(byText['http-server-fastify/bulwark-memory/bare'].verdict, 'not measured');
    assert.equal(byText['policy-success/resilient/cockatiel'].verdict, 'not measured');
  });

  it('says "holds at the median" when only the median meets the limit', () => {
    const results = httpResults(
      [1000, 1000, 1000, 1000],
      [1000, 1000, 1000, 1000],
      [900, 880, 840, 800],
    );
    const target = evaluateTargets(results).find((t) => t.b === 'otel-span');
    assert.equal(target.verdict, 'holds at the median');
  });

  it('judges the hand-rolled equivalent against the same baseline and limit', () => {
    const results = httpResults(
      [1000, 1000, 1000, 1000],
      [1000, 1000, 1000, 1000],
      [700, 700, 700, 700],
      [800, 760, 740, 700],
    );
    const byText = Object.fromEntries(
      evaluateTargets(results).map((t) => [`${t.group}/${t.a}/${t.b}`, t]),
    );
    // Against bare (>= 0.75): the median of 0.8, 0.76, 0.74, 0.7 meets it, the worse quartile not.
    const bare = byText['http-server/bulwark-memory/bare'];
    assert.equal(bare.verdict, 'missed');
    assert.equal(bare.yardstickRatio.median, 0.75);
    assert.equal(bare.yardstickVerdict, 'holds at the median');
    // Against the span (>= 0.85): the yardstick misses as well.
    assert.equal(byText['http-server/bulwark-memory/otel-span'].yardstickVerdict, 'missed');
    // Judged against the yardstick itself: no second judgement.
    const own = byText['http-server/bulwark-memory/hand-rolled'];
    assert.equal(own.yardstickRatio, undefined);
    assert.equal(own.yardstickVerdict, undefined);
  });

  it('leaves the yardstick out when the run has no hand-rolled row', () => {
    const results = httpResults([1000, 1000], [1000, 1000], [900, 900]);
    const target = evaluateTargets(results).find((t) => t.b === 'bare');
    assert.equal(target.verdict, 'holds');
    assert.equal(target.yardstickVerdict, undefined);
  });
});

describe('difference targets', () => {
  it('judges a cost in the group unit from the per-round differences, not from a ratio', () => {
    const cases = ['bare', 'resilient', 'resilient-no-telemetry'].map((id) => ({ id, label: id }));
    const g = group({
      id: 'policy-otel-success',
      title: 'policy',
      unit: 'ns/op',
      better: 'lower',
      cases,
      // Telemetry costs 600, 700, 1,200 and 1,300 ns in the four rounds: the
      // median (950) meets 1 µs, the worse quartile does not.
      series: [
        [400, 400, 400, 400],
        [4600, 4700, 5200, 5300],
        [4000, 4000, 4000, 4000],
      ],
    });
    const results = { scenarios: [{ id: 'policy-otel', groups: [g] }] };
    const target = evaluateTargets(results).find((t) => t.group === 'policy-otel-success');
    assert.equal(target.difference.median, 950);
    assert.equal(target.ratio, undefined);
    assert.equal(target.verdict, 'holds at the median');
  });
});

describe('chart', () => {
  it('draws one bar per non-baseline row and escapes labels', () => {
    const results = httpResults([1000, 1000], [500, 500], [250, 250]);
    results.scenarios[0].groups[0].rows[1].label = 'span <&> "quoted"';
    const svg = chartSvg(results);
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 2);
    assert.ok(svg.includes('span &lt;&amp;&gt; &quot;quoted&quot;'));
    assert.ok(svg.includes('x2.00') && svg.includes('x4.00'), 'req/s ratios are drawn as costs');
  });
});

describe('compareTimeAndCpu', () => {
  it('measures every case in the same rounds, by wall time and by CPU time, as two paired groups', async () => {
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const [wall, cpu] = await compareTimeAndCpu({
      id: 'client',
      title: 'two cases',
      cases: [
        { id: 'base', label: 'base', fn: tick },
        { id: 'same', label: 'same', fn: tick },
        { id: 'missing', label: 'missing', reason: 'not built' },
      ],
    });
    assert.deepEqual([wall.id, cpu.id], ['client', 'client-cpu']);
    for (const g of [wall, cpu]) {
      assert.deepEqual(
        g.rows.map((r) => r.id),
        ['base', 'same'],
      );
      assert.deepEqual(g.skipped, [{ id: 'missing', label: 'missing', reason: 'not built' }]);
      // Paired: one value per round for every case, three times the quick mode's rounds.
      for (const row of g.rows) assert.equal(row.rounds.length, 15);
      assert.equal(g.rows[0].ratio.median, 1);
    }
    assert.ok(wall.rows.every((r) => r.median > 0));
  });
});

describe('load budget (profile/load-cost.mjs)', () => {
  it('fits the extra CPU per µs of JavaScript added through the origin', () => {
    const points = [
      { addedUs: 0, extraCpuUs: 0 },
      { addedUs: 4, extraCpuUs: 6 },
      { addedUs: 8, extraCpuUs: 12 },
    ];
    assert.equal(amplification(points), 1.5);
    // Noisy points: the least-squares slope, weighted towards the larger spins.
    const noisy = amplification([
      { addedUs: 4, extraCpuUs: 4 },
      { addedUs: 16, extraCpuUs: 20 },
    ]);
    assert.equal(noisy, (4 * 4 + 16 * 20) / (4 * 4 + 16 * 16));
    assert.ok(Number.isNaN(amplification([{ addedUs: 0, extraCpuUs: 3 }])));
  });

  it('turns a ratio to the span into the JavaScript µs a stack may add', () => {
    // 0.8 of a 100 µs span leaves 125 µs of CPU: 25 µs, 20 µs of JavaScript at 1.25.
    assert.equal(javascriptBudget(0.8, 100, 1.25), 20);
    assert.equal(javascriptBudget(1, 100, 1.25), 0);
    // A target above the span's own req/s leaves no budget at all.
    assert.ok(javascriptBudget(1.1, 100, 1) < 0);
    assert.throws(() => javascriptBudget(0, 100, 1), RangeError);
  });
});
