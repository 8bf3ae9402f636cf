import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { FingerprintBody } from '../idempotency/fingerprint.js';
import { routeTemplate } from './route-template.js';

/** The body as the fingerprint needs it, or `too_large` when it is over the cap. */
export type BodyReading = FingerprintBody | 'too_large';

/**
 * Finds the request body for the fingerprint without ever storing it:
 * - after a body parser (`express.json()`, `express.urlencoded()`): the parsed
 *   value, canonicalised (key order and whitespace do not matter);
 * - after `express.raw()` / `express.text()`: the exact bytes;
 * - with no parser (or one that skipped this content type): the raw bytes are
 *   read here, up to `maxBytes`, and left in `req.body` as a `Buffer`, as
 *   `express.raw()` would, because the stream can be read only once.
 * A declared `Content-Length` over `maxBytes` is refused before reading.
 */
export async function readBody(req: Request, maxBytes: number): Promise<BodyReading> {
  const known = bodyAtHand(req, maxBytes);
  if (known !== undefined) return known;
  const bytes = await readBounded(req, maxBytes);
  if (bytes === undefined) return 'too_large';
  req.body = bytes;
  return { kind: 'bytes', bytes };
}

/**
 * The body when it is known without reading the stream (parsed, raw, text,
 * absent, or declared too large), else `undefined`. Synchronous, so the usual
 * request (after a body parser) needs no extra promise.
 */
export function bodyAtHand(req: Request, maxBytes: number): BodyReading | undefined {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return 'too_large';
  const body: unknown = req.body;
  if (Buffer.isBuffer(body)) {
    return body.byteLength > maxBytes ? 'too_large' : { kind: 'bytes', bytes: body };
  }
  if (typeof body === 'string') {
    const bytes = Buffer.from(body, 'utf8');
    return bytes.byteLength > maxBytes ? 'too_large' : { kind: 'bytes', bytes };
  }
  if (body !== undefined) return { kind: 'json', value: body };
  if (!hasBody(req) || req.readableEnded) return { kind: 'none' };
  return undefined;
}

/** The same test body-parser uses: a body exists when it is chunked or has a length. */
function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined
  );
}

/**
 * Reads the stream up to `maxBytes`. Past the cap it stops keeping bytes and
 * drains the rest (resolving `undefined` at once), so memory stays bounded and
 * the socket stays usable for the 413.
 */
function readBounded(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.byteLength;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      req.resume();
      resolve(undefined);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * The route the key is scoped to: what Express matched, so that one resource
 * is one scope. Inside a route, its whole template (`/v1/transfers/:id`,
 * mounts included). Otherwise (mounted with `app.use`, or a route whose
 * template is unknowable, such as an array of paths) the path as Express
 * matches it: case-folded unless `case sensitive routing` is on, and without
 * its trailing slash unless `strict routing` is on, so `/t`, `/T` and `/t/`
 * are one scope, as they are one route to Express.
 */
export function routeOf(req: Request): string {
  const template = routeTemplate(req);
  if (template !== undefined) return template;
  const path: unknown = req.route?.path;
  return matchedPath(req, req.baseUrl + (typeof path === 'string' ? path : req.path));
}

function matchedPath(req: Request, path: string): string {
  const app = req.app as Request['app'] | undefined;
  let matched = path;
  if (matched.length > 1 && matched.endsWith('/') && app?.enabled('strict routing') !== true) {
    matched = matched.slice(0, -1);
  }
  return app?.enabled('case sensitive routing') === true ? matched : matched.toLowerCase();
}

/** Splits `req.originalUrl` into its path and raw query string. */
export function pathAndQuery(req: Request): { path: string; query: string } {
  const url = req.originalUrl;
  const mark = url.indexOf('?');
  return mark === -1
    ? { path: url, query: '' }
    : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}
