import type { StatusUi } from './browser-ui.js';

/** The page's DOM and number helpers (runs in the browser; see `StatusUi`). */
export function installDom(ui: StatusUi): void {
  const SVG = 'http://www.w3.org/2000/svg';
  function build<E extends Element>(
    element: E,
    attrs: Record<string, string> | undefined,
    children: (Node | string)[],
  ): E {
    for (const [name, value] of Object.entries(attrs ?? {})) element.setAttribute(name, value);
    for (const child of children) {
      element.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return element;
  }
  ui.h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
  ui.s = (tag, attrs, ...children) => build(document.createElementNS(SVG, tag), attrs, children);
  const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
  ui.num = (value) => integer.format(value);
  ui.pct = (value) =>
    value === null ? '–' : `${(value * 100).toFixed(Math.abs(value) < 0.1 ? 2 : 1)}%`;
  ui.table = (head, rows) =>
    ui.h(
      'table',
      {},
      ui.h('thead', {}, ui.h('tr', {}, ...head.map((text) => ui.h('th', {}, text)))),
      ui.h('tbody', {}, ...rows),
    );
  ui.duration = (ms) => {
    if (ms < 1_000) return `${Math.ceil(ms)} ms`;
    if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
    return `${Math.round(ms / 60_000)} min`;
  };
}
