/**
 * Renders a results JSON as markdown tables and an SVG chart of the ratios
 * (written by hand: no charting dependency). `node render.mjs <results.json>
 * [outDir]` re-renders a saved run, judged by the current targets; run.mjs
 * calls `render()` after each run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartSvg } from './chart.mjs';
import { evaluateTargets } from './targets.mjs';

const fmt = (n, digits = 2) =>
  Number.isFinite(n)
    ? Math.abs(n) >= 100
      ? Math.round(n).toLocaleString('en-US')
      : n.toFixed(digits)
    : '-';
const ratioText = (r) => `${fmt(r.median)} [${fmt(r.p25)}-${fmt(r.p75)}]`;

function environmentSection(env, jsonPath) {
  const packages = Object.entries(env.packages)
    .map(([name, v]) => `${name} ${v ?? '?'}`)
    .join(', ');
  const busy = Math.max(...env.loadAverageAtStart) > env.cores;
  return [
    `Run of ${env.timestamp}, **${env.mode}** mode, ${env.durationS} s, from [\`${jsonPath}\`](${jsonPath}).`,
    '',
    `- Node ${env.node} (V8 ${env.v8}), ${env.platform}, ${env.cpu} x ${env.cores} cores, ${env.memoryGiB} GiB`,
    `- bulwark ${env.bulwark.version} at commit ${env.commit}${env.workingTreeDirty ? ' (src/ had uncommitted changes)' : ''}, built package`,
    `- ${packages}`,
    `- Load average (1, 5, 15 min) at start ${env.loadAverageAtStart.join(' / ')}, at end ${env.loadAverageAtEnd?.join(' / ')}${busy ? ': **above the core count, so other work shared the machine and the absolute numbers are noisy** (ratios are paired per round and suffer less)' : ''}`,
  ].join('\n');
}

const METHOD = `Each scenario runs in its own Node process (\`--expose-gc\`). Within a scenario the
cases are measured in **interleaved rounds**: every round visits each case once, in
alternating order, after one warm-up visit per case. A micro-benchmark visit is one
[mitata](https://github.com/evanwashere/mitata) \`measure()\` (batched, async-aware) whose
mean time per call is the round's value, so GC caused by a case is charged to it.
**median** is over rounds, **spread** is the p25-p75 range over rounds, and **ratio** is
the median (p25-p75) of the per-round ratios to the group's first row, the baseline.
HTTP rounds are autocannon runs in a separate process against 127.0.0.1.`;

function targetsSection(targets) {
  const lines = [
    '| target | measured, median [p25-p75] | limit | verdict | the hand-rolled equivalent, same measure |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const t of targets) {
    // A difference is a cost in the group's unit (ns); a ratio has none.
    const unit = t.difference ? ' ns' : '';
    const value = t.ratio ?? t.difference;
    const measured = value ? `${ratioText(value)}${unit}` : '-';
    const text = t.proposed ? `${t.text} (proposed)` : t.text;
    const yardstick = t.yardstickRatio
      ? `${ratioText(t.yardstickRatio)}${unit}: ${t.yardstickVerdict}`
      : '-';
    lines.push(
      `| ${text} | ${measured} | ${t.op} ${t.limit}${unit} | **${t.verdict}** | ${yardstick} |`,
    );
  }
  lines.push(
    '',
    "The last column judges the group's hand-rolled equivalent (the least a service could write for the same work, without bulwark's guarantees) against the same baseline and limit: where it misses too, the target asks for less than that work costs on this machine in this run.",
  );
  return lines.join('\n');
}

function groupTable(g) {
  const http = g.unit === 'req/s';
  const head = http
    ? '| case | req/s, median | p25-p75 | ratio to baseline | p50 ms | p99 ms | failed |'
    : `| case | ${g.unit}, median | p25-p75 | ratio to baseline | ops/s |`;
  const lines = [`### ${g.title}`, '', head, `|${' --- |'.repeat(head.split('|').length - 2)}`];
  for (const r of g.rows) {
    const base = `| ${r.label}${r.id === g.baseline ? ' (baseline)' : ''} | ${fmt(r.median)} | ${fmt(r.p25)}-${fmt(r.p75)} | ${ratioText(r.ratio)} |`;
    lines.push(
      http
        ? `${base} ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${r.failed} |`
        : `${base} ${fmt(1e9 / r.median)} |`,
    );
  }
  for (const s of g.skipped ?? []) lines.push(`| ${s.label}: **skipped**, ${s.reason} | | | | |`);
  if (g.reason) lines.push('', `Not measured: ${g.reason}.`);
  if (g.notes) lines.push('', g.notes);
  return lines.join('\n');
}

function scenarioSection(s) {
  const lines = [`## ${s.title ?? s.id}`, ''];
  if (s.description) lines.push(s.description, '');
  if (s.failed) lines.push(`**Failed:** ${s.failed}`);
  if (s.skipped) lines.push(`**Skipped:** ${s.skipped}`);
  for (const g of s.groups ?? []) lines.push(groupTable(g), '');
  if (s.facts) {
    lines.push('| measure | value |', '| --- | --- |');
    for (const f of s.facts) lines.push(`| ${f.label} | ${f.value} |`);
  }
  return lines.join('\n');
}

/** Writes RESULTS.md and ratios.svg for `results` into `outDir`; returns their paths. */
export function render(results, outDir, jsonFile) {
  mkdirSync(outDir, { recursive: true });
  const env = results.environment;
  const jsonPath = jsonFile ? relative(outDir, jsonFile) : '(unsaved)';
  const markdown = [
    '# bulwark benchmark results',
    '',
    `> Generated by \`benchmarks/run.mjs\`; re-render with \`node benchmarks/render.mjs <results.json>\`. Do not edit by hand.`,
    '',
    environmentSection(env, jsonPath),
    '',
    '## How to read these numbers',
    '',
    METHOD,
    '',
    '![Cost of each case relative to its baseline, log scale](ratios.svg)',
    '',
    '## Targets (issues 8 and 19)',
    '',
    targetsSection(results.targets),
    '',
    ...results.scenarios.map(scenarioSection),
  ].join('\n');
  const paths = { markdown: join(outDir, 'RESULTS.md'), svg: join(outDir, 'ratios.svg') };
  writeFileSync(paths.markdown, markdown);
  writeFileSync(paths.svg, chartSvg(results));
  return paths;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, outDir = fileURLToPath(new URL('.', import.meta.url))] = process.argv.slice(2);
  if (!file) throw new Error('usage: node render.mjs <results.json> [outDir]');
  const results = JSON.parse(await readFile(file, 'utf8'));
  // Judged again by today's targets: a saved run keeps its rounds, so a target
  // or a column added since still reads off the same measurements.
  results.targets = evaluateTargets(results);
  console.log(render(results, resolve(outDir), resolve(file)));
}
