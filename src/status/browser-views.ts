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

  const keys = (n: number) => `${ui.num(n)} ${n === 1 ? 'key' : 'keys'}`;
  const keyText = (key: string | null) =>
    key === null ? '(tenant hidden)' : key === '' ? '(all calls)' : key;
  const more = (omitted: number) =>
    omitted > 0 ? h('p', { class: 'more' }, `+ ${ui.num(omitted)} more keys, not listed`) : '';
  const table = (head: string[], rows: HTMLElement[]) =>
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows),
    );

  function breaker(b: NonNullable<PipelineData['breaker']>): HTMLElement {
    const rows = b.listed.map((k) =>
      h(
        'tr',
        { 'data-key': keyText(k.key), 'data-state': k.state },
        h('td', { class: 'key' }, keyText(k.key)),
        h(
          'td',
          {},
          h(
            'span',
            { class: `badge ${k.state}`, 'data-breaker-state': k.state },
            k.state.replace('_', '-'),
          ),
        ),
        h('td', {}, k.state === 'open' ? `half-open in ${ui.duration(k.halfOpenInMs)}` : ''),
        h(
          'td',
          {},
          b.mode === 'ratio' ? ui.pct(k.failureRatio) : `${k.consecutiveFailures} in a row`,
        ),
        h(
          'td',
          {},
          b.mode === 'ratio' ? `${ui.num(k.windowFailures)} / ${ui.num(k.windowCalls)}` : '',
        ),
      ),
    );
    const rule =
      b.mode === 'ratio'
        ? `opens at ${ui.pct(b.failureRatioThreshold)} of ≥ ${ui.num(b.minimumCalls)} calls`
        : `opens after ${b.consecutiveFailuresThreshold} failures in a row`;
    return h(
      'div',
      { class: 'layer breaker' },
      h('h3', {}, 'Circuit breaker'),
      h(
        'p',
        { class: 'summary' },
        `${keys(b.keys)}: ${b.states.open} open, ${b.states.half_open} half-open, ${b.states.closed} closed · ${rule}, breaks for ${ui.duration(b.breakDurationMs)}`,
      ),
      table(['key', 'state', '', 'failure ratio', 'failures / calls'], rows),
      more(b.omitted),
    );
  }

  function bulkhead(b: NonNullable<PipelineData['bulkhead']>): HTMLElement {
    const rows = b.listed.map((k) =>
      h(
        'tr',
        { 'data-key': keyText(k.key), class: k.active >= b.maxConcurrent ? 'full' : '' },
        h('td', { class: 'key' }, keyText(k.key)),
        h('td', {}, `${ui.num(k.active)} / ${ui.num(b.maxConcurrent)}`),
        h('td', {}, `${ui.num(k.queued)} / ${ui.num(b.maxQueued)}`),
      ),
    );
    return h(
      'div',
      { class: 'layer bulkhead' },
      h('h3', {}, 'Bulkhead'),
      h(
        'p',
        { class: 'summary' },
        `${ui.num(b.active)} running, ${ui.num(b.queued)} queued over ${keys(b.keys)} · ${b.saturated} saturated`,
      ),
      b.listed.length > 0 ? table(['key', 'running', 'queued'], rows) : '',
      more(b.omitted),
    );
  }

  function budget(b: NonNullable<PipelineData['retryBudget']>): HTMLElement {
    const rows = b.listed.map((k) =>
      h(
        'tr',
        { 'data-key': keyText(k.key), class: k.remaining < 1 ? 'full' : '' },
        h('td', { class: 'key' }, keyText(k.key)),
        h('td', {}, `${k.remaining.toFixed(1)} of ${k.allowed.toFixed(1)} retries left`),
      ),
    );
    return h(
      'div',
      { class: 'layer budget' },
      h('h3', {}, 'Retry budget'),
      h('p', { class: 'summary' }, `${keys(b.keys)} · ${b.exhausted} exhausted`),
      b.listed.length > 0 ? table(['key', 'left in the window'], rows) : '',
      more(b.omitted),
    );
  }

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
      p.breaker ? breaker(p.breaker) : '',
      p.bulkhead ? bulkhead(p.bulkhead) : '',
      p.retryBudget ? budget(p.retryBudget) : '',
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
        : table(
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
