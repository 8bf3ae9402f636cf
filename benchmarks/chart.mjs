/**
 * The SVG chart of every ratio in a run, written by hand. One horizontal bar
 * per case, grouped by benchmark, on a log scale of "cost relative to the
 * baseline": time ratios as they are, throughput ratios inverted, so right of
 * 1 always means "costs more than the baseline". Whiskers show p25-p75.
 */

const WIDTH = 960;
const LABEL_W = 430;
const PLOT_X = LABEL_W + 10;
const PLOT_W = 420;
const ROW_H = 20;
const HEAD_H = 26;
const TOP = 58;

const escapeXml = (text) =>
  String(text).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );

/** Cost relative to the baseline, with its p25-p75 range, whatever the unit. */
function relativeCost(group, row) {
  const { median, p25, p75 } = row.ratio;
  if (group.better === 'lower') return { value: median, low: p25, high: p75 };
  return { value: 1 / median, low: 1 / p75, high: 1 / p25 };
}

function layout(results) {
  const items = [];
  for (const scenario of results.scenarios) {
    for (const group of scenario.groups ?? []) {
      const rows = group.rows.filter((r) => r.id !== group.baseline);
      if (rows.length === 0) continue;
      const baseline = group.rows.find((r) => r.id === group.baseline);
      const inverted = group.better === 'higher' ? `; ${group.unit} ratio inverted` : '';
      items.push({
        kind: 'head',
        text: `${group.title} (baseline: ${baseline?.label}${inverted})`,
      });
      for (const row of rows)
        items.push({ kind: 'bar', label: row.label, ...relativeCost(group, row) });
    }
  }
  return items;
}

function scale(items) {
  const values = items.filter((i) => i.kind === 'bar').flatMap((i) => [i.low, i.high, i.value]);
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const min = Math.min(0.5, ...finite) * 0.9;
  const max = Math.max(2, ...finite) * 1.1;
  const x = (v) =>
    PLOT_X + ((Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min))) * PLOT_W;
  const ticks = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000].filter(
    (t) => t >= min && t <= max,
  );
  return { x, ticks, clamp: (v) => Math.min(max, Math.max(min, v)) };
}

function bar(item, y, s) {
  const color = /bulwark/i.test(item.label) ? '#d9480f' : '#868e96';
  const x0 = s.x(1);
  const x1 = s.x(s.clamp(item.value));
  const mid = y + ROW_H / 2;
  return [
    `<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end">${escapeXml(item.label)}</text>`,
    `<rect x="${Math.min(x0, x1)}" y="${y + 4}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${ROW_H - 8}" fill="${color}"/>`,
    `<line x1="${s.x(s.clamp(item.low))}" x2="${s.x(s.clamp(item.high))}" y1="${mid}" y2="${mid}" stroke="#212529"/>`,
    `<text x="${PLOT_X + PLOT_W + 8}" y="${mid + 4}">x${item.value.toFixed(2)}</text>`,
  ].join('');
}

/** The chart of `results` as an SVG document. */
export function chartSvg(results) {
  const items = layout(results);
  const s = scale(items);
  const height = TOP + items.reduce((h, i) => h + (i.kind === 'head' ? HEAD_H : ROW_H), 0) + 16;
  const parts = [];
  let y = TOP;
  for (const item of items) {
    if (item.kind === 'head') {
      parts.push(`<text x="8" y="${y + 18}" font-weight="bold">${escapeXml(item.text)}</text>`);
      y += HEAD_H;
    } else {
      parts.push(bar(item, y, s));
      y += ROW_H;
    }
  }
  const grid = s.ticks.map(
    (t) =>
      `<line x1="${s.x(t)}" x2="${s.x(t)}" y1="${TOP - 6}" y2="${height - 16}" stroke="${t === 1 ? '#212529' : '#dee2e6'}"/>` +
      `<text x="${s.x(t)}" y="${TOP - 10}" text-anchor="middle">${t}</text>`,
  );
  const env = results.environment;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">Cost relative to the baseline (log scale; right of 1 = costs more; whiskers p25-p75)</text>`,
    `<text x="8" y="34" fill="#495057">${escapeXml(`${env.mode} run ${env.timestamp}, Node ${env.node}, ${env.cpu} x ${env.cores}; orange = bulwark`)}</text>`,
    ...grid,
    ...parts,
    '</svg>',
  ].join('\n');
}
