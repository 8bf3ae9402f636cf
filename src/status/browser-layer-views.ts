import type { StatusUi } from './browser-ui.js';

/** The page's tables of a pipeline's layers (runs in the browser; see `StatusUi`). */
export function installLayerViews(ui: StatusUi): void {
  const { h } = ui;
  type PipelineData = Parameters<StatusUi['view']>[0]['pipelines'][number];

  const keys = (n: number) => `${ui.num(n)} ${n === 1 ? 'key' : 'keys'}`;
  const keyText = (key: string | null) =>
    key === null ? '(tenant hidden)' : key === '' ? '(all calls)' : key;
  const more = (omitted: number) =>
    omitted > 0 ? h('p', { class: 'more' }, `+ ${ui.num(omitted)} more keys, not listed`) : '';

  ui.breakerView = function breaker(b: NonNullable<PipelineData['breaker']>): HTMLElement {
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
      ui.table(['key', 'state', '', 'failure ratio', 'failures / calls'], rows),
      more(b.omitted),
    );
  };

  ui.bulkheadView = function bulkhead(b: NonNullable<PipelineData['bulkhead']>): HTMLElement {
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
      b.listed.length > 0 ? ui.table(['key', 'running', 'queued'], rows) : '',
      more(b.omitted),
    );
  };

  ui.budgetView = function budget(b: NonNullable<PipelineData['retryBudget']>): HTMLElement {
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
      b.listed.length > 0 ? ui.table(['key', 'left in the window'], rows) : '',
      more(b.omitted),
    );
  };
}
