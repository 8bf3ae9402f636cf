import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemAnswer, problemType, writeAnswer } from '../http/problem.js';
import { LiveStreams } from './live-streams.js';
import { type ResolvedStatusOptions, resolveStatusOptions, type StatusOptions } from './options.js';
import { PAGE_ICON, pageHtml } from './page-html.js';
import { PAGE_SCRIPT } from './page-script.js';
import { PAGE_STYLE } from './page-style.js';
import { buildReport } from './report.js';
import { assetBase, routeOf } from './route.js';
import { startSampler } from './sampler.js';

/** A plain `(req, res)` handler: node:http, Express and Fastify (`reply.raw`) alike. */
export interface StatusHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /**
   * Ends every live update stream now, so a graceful shutdown does not wait
   * on pages left open (a stream never ends on its own). New ones may open.
   */
  closeStreams(): void;
}

/** The policy of the page: its own files only, no inline code, never framed. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Serves the live status page of the process: every `resilient()`
 * pipeline (breaker state per key and time left until half-open, recent
 * failure ratio, bulkhead occupancy and queue, retry budget left, calls and
 * failures over 15 minutes), every SLO (budget left, burn rates, page or
 * ticket) and idempotency outcomes per minute. HTML by default, updated live
 * over server-sent events; JSON (`schemaVersion` 1, see docs/status-schema.md)
 * on `Accept: application/json` or `?format=json`.
 *
 * Read-only and bounded (`maxKeys` per layer, `maxStreams`, one stream per
 * connection); tenant ids only with `showTenants: true`. It shows internals:
 * mount it behind the service's own authentication. Mounted and idle it
 * costs nothing per request: it reads state only when asked.
 *
 * @example
 * app.use('/status', requireOperator, statusHandler());
 */
export function statusHandler(options: StatusOptions = {}): StatusHandler {
  const settings = resolveStatusOptions(options);
  startSampler();
  const streams = new LiveStreams(settings.maxStreams, settings.updateIntervalMs, () =>
    JSON.stringify(buildReport(settings)),
  );
  function bulwarkStatus(req: IncomingMessage, res: ServerResponse): void {
    try {
      serve(settings, streams, req, res);
    } catch (error) {
      // A status page must never take the service down with it.
      if (!res.headersSent) {
        writeAnswer(
          res,
          problemAnswer({
            type: problemType('status-unavailable'),
            title: 'The status report could not be built',
            status: 500,
            detail: error instanceof Error ? error.name : undefined,
          }),
        );
      } else res.destroy();
    }
  }
  return Object.assign(bulwarkStatus, { closeStreams: () => streams.closeAll() });
}

function serve(
  settings: ResolvedStatusOptions,
  streams: LiveStreams,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const route = routeOf(req);
  if (route === 'method_not_allowed') {
    res.setHeader('Allow', 'GET, HEAD');
    const title = 'The status page is read-only';
    writeAnswer(
      res,
      problemAnswer({ type: problemType('method-not-allowed'), title, status: 405 }),
    );
  } else if (route === 'events') {
    streams.open(req, res);
  } else if (route === 'json') {
    send(req, res, 'application/json; charset=utf-8', JSON.stringify(buildReport(settings)));
  } else if (route === 'script') {
    send(req, res, 'text/javascript; charset=utf-8', PAGE_SCRIPT);
  } else if (route === 'style') {
    send(req, res, 'text/css; charset=utf-8', PAGE_STYLE);
  } else if (route === 'icon') {
    send(req, res, 'image/svg+xml', PAGE_ICON);
  } else {
    if (!res.hasHeader('content-security-policy')) {
      res.setHeader('Content-Security-Policy', PAGE_CSP);
    }
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    send(req, res, 'text/html; charset=utf-8', pageHtml(settings.title, assetBase(req)));
  }
}

function send(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Vary', 'Accept');
  res.end(req.method === 'HEAD' ? undefined : body);
}
