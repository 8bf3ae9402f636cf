import type { StatusUi } from './browser-ui.js';

/** The page's inline SVG charts (runs in the browser; see `StatusUi`). */
export function installCharts(ui: StatusUi): void {
  const W = 360;
  const H = 64;

  /** Newest point at the right edge; a short history fills the right part of a 15-minute axis. */
  function points(values: readonly number[], max: number, slots: number): string {
    const step = W / Math.max(1, slots - 1);
    const offset = slots - values.length;
    return values
      .map((v, i) => {
        const x = (offset + i) * step;
        return `${x.toFixed(1)},${(H - 2 - (v / max) * (H - 4)).toFixed(1)}`;
      })
      .join(' ');
  }

  ui.sparkline = (calls, failures, intervalMs) => {
    const max = Math.max(1, ...calls, ...failures);
    const slots = Math.max(calls.length, Math.round(900_000 / intervalMs));
    const label = `calls and failures per ${intervalMs / 1000} s, last 15 min, peak ${ui.num(max)}`;
    // A lone point is drawn as a short flat segment, so the newest interval always shows.
    const series = (values: readonly number[]) =>
      values.length === 1 ? [values[0]!, values[0]!] : values;
    return ui.s(
      'svg',
      {
        class: 'spark',
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': label,
      },
      ui.s('title', {}, label),
      ui.s('line', { class: 'axis', x1: '0', y1: `${H - 1}`, x2: `${W}`, y2: `${H - 1}` }),
      ui.s('polyline', { class: 'calls', points: points(series(calls), max, slots) }),
      ui.s('polyline', { class: 'failures', points: points(series(failures), max, slots) }),
    );
  };

  ui.outcomes = [
    ['executed', 'o-executed'],
    ['replayed', 'o-replayed'],
    ['in_flight', 'o-in-flight'],
    ['mismatch', 'o-mismatch'],
    ['store_unavailable', 'o-unavailable'],
    ['outcome_unknown', 'o-unknown'],
    ['lease_lost', 'o-lost'],
    ['failed', 'o-failed'],
  ];

  ui.minuteBars = (perMinute) => {
    const slots = 15;
    const width = W / slots;
    const totals = perMinute.map((m) => Object.values(m).reduce((a, b) => a + b, 0));
    const max = Math.max(1, ...totals);
    const bars: SVGElement[] = [];
    perMinute.forEach((minute, i) => {
      const x = (slots - perMinute.length + i) * width;
      let y = H;
      for (const [kind, cls] of ui.outcomes) {
        const count = minute[kind as keyof typeof minute];
        if (count === 0) continue;
        const height = (count / max) * (H - 2);
        y -= height;
        const rect = ui.s('rect', {
          class: cls,
          x: (x + 1).toFixed(1),
          y: y.toFixed(1),
          width: (width - 2).toFixed(1),
          height: height.toFixed(1),
        });
        rect.append(
          ui.s('title', {}, `${kind}: ${ui.num(count)} in minute ${i - perMinute.length + 1}`),
        );
        bars.push(rect);
      }
    });
    const label = `idempotency outcomes per minute, last ${perMinute.length} min, peak ${ui.num(max)}`;
    return ui.s(
      'svg',
      {
        class: 'bars',
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: 'none',
        role: 'img',
        'aria-label': label,
      },
      ui.s('title', {}, label),
      ...bars,
    );
  };
}
