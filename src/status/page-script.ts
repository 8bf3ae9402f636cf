import { installCharts } from './browser-charts.js';
import { installDom } from './browser-dom.js';
import { installLayerViews } from './browser-layer-views.js';
import { startLive } from './browser-live.js';
import { installViews } from './browser-views.js';

/**
 * The page's script, served as `.../app.js` (same origin, so it runs under
 * `Content-Security-Policy: default-src 'self'`). Written as typed,
 * self-contained functions and sent as their source: each part gets the
 * shared `ui` object, nothing else from this bundle.
 */
export const PAGE_SCRIPT = `'use strict';
(() => {
  const ui = {};
  (${installDom.toString()})(ui);
  (${installCharts.toString()})(ui);
  (${installLayerViews.toString()})(ui);
  (${installViews.toString()})(ui);
  (${startLive.toString()})(ui);
})();
`;
