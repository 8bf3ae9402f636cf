import type { IncomingMessage } from 'node:http';

/** What one request to the status handler asks for. */
export type StatusRoute =
  | 'page'
  | 'json'
  | 'events'
  | 'script'
  | 'style'
  | 'icon'
  | 'method_not_allowed';

/** The files the page loads, by the last segment of their path. */
export const ASSETS = {
  'app.js': 'script',
  'app.css': 'style',
  'icon.svg': 'icon',
  events: 'events',
} as const satisfies Record<string, StatusRoute>;

/**
 * Routes by the last path segment, so the handler works wherever it is
 * mounted (`/status` on node:http, `app.use('/status', ...)` in Express, a
 * Fastify wildcard route): `.../app.js`, `.../app.css`, `.../icon.svg`,
 * `.../events`, and anything else is the page, or its JSON when the client
 * prefers `application/json` (or asks `?format=json`).
 */
export function routeOf(req: IncomingMessage): StatusRoute {
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'method_not_allowed';
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const last = path.slice(path.lastIndexOf('/') + 1);
  const asset = Object.hasOwn(ASSETS, last) ? ASSETS[last as keyof typeof ASSETS] : undefined;
  if (asset !== undefined) return asset;
  const query = queryAt < 0 ? '' : url.slice(queryAt + 1);
  if (new URLSearchParams(query).get('format') === 'json') return 'json';
  return prefersJson(req.headers.accept) ? 'json' : 'page';
}

/**
 * The path prefix, relative to the page's own URL, under which its assets
 * are found: the page at `/status` loads `./status/app.js`, the page at
 * `/status/` loads `./app.js`. Relative, so a proxy that serves the app
 * under another prefix still works. From the URL the browser asked for
 * (Express keeps it in `originalUrl`).
 */
export function assetBase(req: IncomingMessage): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const path = url.split('?')[0] ?? '/';
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last === '' ? './' : `./${encodeURIComponent(decodeSafe(last))}/`;
}

function decodeSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** True when `application/json` has a higher quality than `text/html` in the Accept header. */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let json = 0;
  let html = 0;
  for (const part of accept.split(',').slice(0, 32)) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = qualityOf(params);
    const mediaType = type.trim();
    if (mediaType === 'application/json' || mediaType === 'application/*') json = Math.max(json, q);
    if (mediaType === 'text/html' || mediaType === 'text/*') html = Math.max(html, q);
  }
  return json > html;
}

function qualityOf(params: string[]): number {
  for (const param of params) {
    const [name, value] = param.trim().split('=');
    if (name === 'q') {
      const q = Number(value);
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}
