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
import { bodyAtHand, readBodyBytes } from './request-body.js';

/*
 * The request side of idempotency, the same for every framework: is this
 * request ours, is its key valid, and what are its storage key (scope + key,
 * hashed) and fingerprint. The adapter supplies what only the framework
 * knows: the route it matched and the body its parser left.
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
  readonly route: () => string;
  /** What the framework's body parser left, `undefined` when none ran. */
  readonly parsedBody: unknown;
  /** Keeps the bytes read here for the handler, when no parser had read the stream. */
  readonly keepBody?: (bytes: Buffer) => void;
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
