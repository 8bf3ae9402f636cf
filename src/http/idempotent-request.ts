import type { IncomingMessage } from 'node:http';
import { parseClientKey } from '../idempotency/client-key.js';
import type { IdempotentRequest } from '../idempotency/engine.js';
import { type FingerprintBody, requestFingerprint } from '../idempotency/fingerprint.js';
import { idempotencyStorageKey } from '../idempotency/storage-key.js';
import { getTenant } from '../tenant/context.js';
import { headerLines } from './header-lines.js';
import type { ResolvedIdempotencyOptions } from './idempotency-options.js';
import { recordOutcome } from './idempotency-outcome.js';
import type { HttpAnswer } from './problem.js';
import { answerOf, PROBLEMS } from './problem-table.js';

/*
 * The request side of idempotency, the same for every framework: is this
 * request ours, is its key valid, and what are its storage key (scope + key,
 * hashed) and fingerprint. The adapter supplies what only the framework
 * knows: the route it matched and the body its parser left; when no parser
 * ran, the body stream is read here (bounded by `maxBodyBytes`).
 */

/** What to do with one request before anything is claimed. */
export type Admission =
  /** Not ours: another method, or no key where none is required. */
  | { readonly kind: 'pass' }
  /** Refused before any claim (bad key, body too large): send `answer`. */
  | { readonly kind: 'refuse'; readonly answer: HttpAnswer }
  /** Reading the body failed: the framework's error path takes it. */
  | { readonly kind: 'fail'; readonly error: unknown }
  /** Claim `request` and run the handler under it. */
  | { readonly kind: 'claim'; readonly request: IdempotentRequest };

/** What the adapter knows of the request. */
export interface RequestFacts<Req> {
  /** The framework's request, for `principal`. */
  readonly req: Req;
  /** Node's request (headers, method, the body stream). */
  readonly raw: IncomingMessage;
  /** The path and query as the client sent them (fingerprinted). */
  readonly url: string;
  /** The scope: what the framework matched (route template), so one resource is one scope. */
  route(): string;
  /** What the framework's body parser left, `undefined` when none ran. */
  readonly parsedBody: unknown;
  /** Keeps the bytes read here for the handler, when no parser had read the stream. */
  keepBody?(bytes: Buffer): void;
}

const PASS: Admission = { kind: 'pass' };

/**
 * Admits one request: synchronous unless the body stream must be read (a
 * parsed body is at hand), so the usual request needs no extra promise.
 * Refusals are counted (`rejected`).
 */
export function admit<Req>(
  config: ResolvedIdempotencyOptions<Req>,
  facts: RequestFacts<Req>,
): Admission | Promise<Admission> {
  if (!config.methods.has(facts.raw.method ?? '')) return PASS;
  const parsed = parseClientKey(headerLines(facts.raw, config.headerName), config.minKeyLength);
  if (!parsed.ok) {
    if (parsed.reason === 'missing' && !config.required) return PASS;
    return refuse(parsed.reason === 'missing' ? 'idempotencyKeyMissing' : 'idempotencyKeyInvalid');
  }
  const known = bodyAtHand(facts.raw, facts.parsedBody, config.maxBodyBytes);
  if (known !== undefined) return identified(config, facts, parsed.key, known);
  return readBodyBytes(facts.raw, config.maxBodyBytes).then(
    (bytes) => {
      if (bytes === 'too_large') return refuse('payloadTooLarge');
      facts.keepBody?.(bytes);
      return identified(config, facts, parsed.key, { kind: 'bytes', bytes });
    },
    (error: unknown): Admission => ({ kind: 'fail', error }),
  );
}

function identified<Req>(
  config: ResolvedIdempotencyOptions<Req>,
  facts: RequestFacts<Req>,
  clientKey: string,
  body: FingerprintBody | 'too_large',
): Admission {
  if (body === 'too_large') return refuse('payloadTooLarge');
  try {
    return { kind: 'claim', request: identify(config, facts, clientKey, body) };
  } catch (error) {
    // The canonical form refuses a body nested past its depth: too large to fingerprint.
    if (error instanceof RangeError) return refuse('payloadTooLarge');
    return { kind: 'fail', error };
  }
}

/** The storage key (scope + client key, hashed) and fingerprint of one request. */
function identify<Req>(
  config: ResolvedIdempotencyOptions<Req>,
  facts: RequestFacts<Req>,
  clientKey: string,
  body: FingerprintBody,
): IdempotentRequest {
  const method = facts.raw.method ?? '';
  const key = idempotencyStorageKey({
    tenantId: getTenant()?.tenantId,
    principal: config.principal?.(facts.req),
    method,
    route: facts.route(),
    clientKey,
  });
  const mark = facts.url.indexOf('?');
  const path = mark === -1 ? facts.url : facts.url.slice(0, mark);
  const query = mark === -1 ? '' : facts.url.slice(mark + 1);
  const contentType = facts.raw.headers['content-type'];
  const fingerprint = requestFingerprint({ method, path, query, contentType, body });
  return { key, fingerprint };
}

function refuse(
  name: 'idempotencyKeyMissing' | 'idempotencyKeyInvalid' | 'payloadTooLarge',
): Admission {
  recordOutcome('rejected');
  return { kind: 'refuse', answer: answerOf(PROBLEMS[name]) };
}

/** The body as the fingerprint needs it, or `too_large` when it is over the cap. */
type BodyReading = FingerprintBody | 'too_large';

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
function bodyAtHand(
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
async function readBodyBytes(
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
