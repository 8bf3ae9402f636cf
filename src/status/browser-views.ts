import type { StatusUi } from './browser-ui.js';

/** The page's views of the report (runs in the browser; see `StatusUi`). */
export function installViews(ui: StatusUi): void {
  const { h } = ui;
  type Report = Parameters<StatusUi['view']>[0];
  type PipelineData = Report['pipelines'][number];
  const TREND: Record<string, string> = {
    better: '↘ improving',
    worse: '↗ getting worse',
    steady: '→ steady',
    quiet: '· no failures',
  };

  function pipeline(p: PipelineData): HTMLElement {
    const ratio = p.calls > 0 ? p.failures / p.calls : null;
    return h(
      'section',
      { class: 'card pipeline', 'data-pipeline': p.name },
      h('h2', {}, p.name, h('span', { class: `trend ${p.trend}` }, TREND[p.trend] ?? p.trend)),
      h(
        'p',
        { class: 'summary' },
        `${ui.num(p.calls)} calls, ${ui.num(p.failures)} failed (${ui.pct(ratio)}) since start`,
      ),
      h(
        'figure',
        {},
        ui.sparkline(p.history.calls, p.history.failures, p.history.intervalMs),
        h(
          'figcaption',
          {},
          h('span', { class: 'k-calls' }, 'calls'),
          ' ',
          h('span', { class: 'k-failures' }, 'failures'),
          ' per 10 s, last 15 min',
        ),
      ),
      p.breaker ? ui.breakerView(p.breaker) : '',
      p.bulkhead ? ui.bulkheadView(p.bulkhead) : '',
      p.retryBudget ? ui.budgetView(p.retryBudget) : '',
    );
  }

  function slos(report: Report): HTMLElement {
    const windows = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;
    const rows = report.slos.map((s) => {
      const alert = s.paging ? 'page' : s.ticketing ? 'ticket' : 'ok';
      const easing =
        s.burnRates['5m'] < s.burnRates['1h']
          ? '↘'
          : s.burnRates['5m'] > s.burnRates['1h']
            ? '↗'
            : '→';
      return h(
        'tr',
        { 'data-slo': s.name, 'data-alert': alert },
        h('td', { class: 'key' }, s.name),
        h('td', {}, ui.pct(s.objective)),
        h(
          'td',
          { class: s.budgetExhausted ? 'bad' : '' },
          s.budgetRemaining < -9.99 ? '< -999%' : ui.pct(s.budgetRemaining),
        ),
        ...windows.map((w) => h('td', {}, s.burnRates[w].toFixed(2))),
        h('td', {}, easing),
        h('td', {}, h('span', { class: `badge ${alert}` }, alert)),
      );
    });
    return h(
      'section',
      { class: 'card slos' },
      h('h2', {}, 'SLOs'),
      report.slos.length === 0
        ? h('p', { class: 'summary' }, 'No SLO defined.')
        : ui.table(
            [
              'SLO',
              'objective',
              'budget left',
              ...windows.map((w) => `burn ${w}`),
              'trend',
              'alert',
            ],
            rows,
          ),
    );
  }

  function idempotency(report: Report): HTMLElement {
    const last = report.idempotency.perMinute.at(-1);
    const legend = ui.outcomes.map(([kind, cls]) =>
      h(
        'li',
        {},
        h('span', { class: `swatch ${cls}` }, ''),
        `${kind.replace('_', ' ')} ${last ? ui.num(last[kind as keyof typeof last]) : 0}/min · ${ui.num(report.idempotency.totals[kind as keyof typeof last])} total`,
      ),
    );
    return h(
      'section',
      { class: 'card idempotency' },
      h('h2', {}, 'Idempotency outcomes per minute'),
      h('figure', {}, ui.minuteBars(report.idempotency.perMinute)),
      h('ul', { class: 'legend' }, ...legend),
    );
  }

  ui.view = (report) => {
    const omitted =
      report.pipelinesOmitted > 0
        ? h('p', { class: 'more' }, `+ ${report.pipelinesOmitted} more pipelines, not listed`)
        : '';
    return h(
      'div',
      {},
      h('div', { class: 'grid' }, ...report.pipelines.map(pipeline)),
      report.pipelines.length === 0
        ? h('p', { class: 'summary' }, 'No resilient() pipeline yet.')
        : '',
      omitted,
      slos(report),
      idempotency(report),
    );
  };
}
