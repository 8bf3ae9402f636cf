import type { PipelineReport as Pipeline, StatusReport } from './report-types.js';

/**
 * What the page's script parts share in the browser. Each part is one
 * self-contained function (`installDom(ui)`, `installCharts(ui)`, ...) whose
 * source is sent as is (`Function.prototype.toString`), so a part refers to
 * nothing outside itself but `ui` and the browser's globals: this file holds
 * only types, erased at build.
 */
export interface StatusUi {
  /** Creates an HTML element; string children become text (never parsed as markup). */
  h(tag: string, attrs?: Record<string, string>, ...children: (Node | string)[]): HTMLElement;
  /** Creates an SVG element. */
  s(tag: string, attrs?: Record<string, string>, ...children: (Node | string)[]): SVGElement;
  /** A table with a header row. */
  table(head: readonly string[], rows: readonly HTMLElement[]): HTMLElement;
  /** A number with thousands separators. */
  num(value: number): string;
  /** A share as a percentage, `null` as a dash. */
  pct(value: number | null): string;
  /** A duration in ms as seconds or minutes. */
  duration(ms: number): string;
  /** The calls and failures chart of a pipeline. */
  sparkline(calls: readonly number[], failures: readonly number[], intervalMs: number): SVGElement;
  /** The idempotency outcomes per minute, stacked. */
  minuteBars(perMinute: StatusReport['idempotency']['perMinute']): SVGElement;
  /** The colour class of each idempotency outcome, in report order. */
  outcomes: readonly (readonly [string, string])[];
  /** The table of a pipeline's breakers. */
  breakerView(breaker: NonNullable<Pipeline['breaker']>): HTMLElement;
  /** The table of a pipeline's bulkheads. */
  bulkheadView(bulkhead: NonNullable<Pipeline['bulkhead']>): HTMLElement;
  /** The table of a pipeline's retry budgets. */
  budgetView(budget: NonNullable<Pipeline['retryBudget']>): HTMLElement;
  /** The whole report as page content. */
  view(report: StatusReport): HTMLElement;
}
