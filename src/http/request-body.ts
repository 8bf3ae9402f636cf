import type { IncomingMessage } from 'node:http';
import type { FingerprintBody } from '../idempotency/fingerprint.js';

/** The body as the fingerprint needs it, or `too_large` when it is over the cap. */
export type BodyReading = FingerprintBody | 'too_large';

/**
 * The body for the fingerprint when it is known without reading the stream,
 * else `undefined`. Synchronous, so the usual request (after a body parser)
 * needs no extra promise. `parsed` is what the framework's parser left
 * (`req.body` on Express, `request.body` on Fastify):
 * - a parsed value (JSON, a form): canonicalised, so key order and whitespace
 *   do not matter;
 * - a string or a Buffer (`express.text()`, `express.raw()`, a text parser):
 *   the exact bytes;
 * - nothing, and no body on the wire (or already read): no body.
 * A declared `Content-Length` over `maxBytes` is refused before anything else.
 */
export function bodyAtHand(
  req: IncomingMessage,
  parsed: unknown,
  maxBytes: number,
): BodyReading | undefined {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return 'too_large';
  if (Buffer.isBuffer(parsed)) {
    return parsed.byteLength > maxBytes ? 'too_large' : { kind: 'bytes', bytes: parsed };
  }
  if (typeof parsed === 'string') {
    const bytes = Buffer.from(parsed, 'utf8');
    return bytes.byteLength > maxBytes ? 'too_large' : { kind: 'bytes', bytes };
  }
  if (parsed !== undefined) return { kind: 'json', value: parsed };
  if (!hasBody(req) || req.readableEnded) return { kind: 'none' };
  return undefined;
}

/**
 * Reads the body stream itself, when no parser did (up to `maxBytes`): the
 * bytes, or `too_large`. The stream can be read only once, so the caller
 * keeps the bytes for the handler (Express: in `req.body`, as `express.raw()`).
 */
export async function readBodyBytes(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Buffer | 'too_large'> {
  return (await readBounded(req, maxBytes)) ?? 'too_large';
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
