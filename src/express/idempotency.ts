import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type BulwarkError, isBulwarkError } from '../errors.js';
import { parseClientKey } from '../idempotency/client-key.js';
import {
  createIdempotencyEngine,
  type ExecutionOutcome,
  type IdempotencyEngine,
  type IdempotentRequest,
  type OperationResult,
} from '../idempotency/engine.js';
import { type FingerprintBody, requestFingerprint } from '../idempotency/fingerprint.js';
import { idempotencyStorageKey } from '../idempotency/key.js';
import { MemoryStore } from '../idempotency/memory-store.js';
import type { StoredResponse } from '../idempotency/store.js';
import { getTenant } from '../tenant/context.js';
import { headerLines } from './header-lines.js';
import {
  type CaptureResult,
  captureResponse,
  type ResponseCapture,
} from './idempotency-capture.js';
import { openClaim, sendCommitted } from './idempotency-claim.js';
import {
  type IdempotencyOptions,
  type ResolvedMiddlewareOptions,
  resolveMiddlewareOptions,
} from './idempotency-options.js';
import {
  ERROR_DETAILS,
  problemOfError,
  recordOutcome,
  sendIdempotencyProblem,
  sendReplay,
} from './idempotency-reply.js';
import { bodyAtHand, pathAndQuery, readBody, routeOf } from './idempotency-request.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { responseErrorType } from './response-error.js';

export type { IdempotencyRequestClaim } from './idempotency-claim.js';
export { idempotencyClaim } from './idempotency-claim.js';
export type { IdempotencyOptions } from './idempotency-options.js';
export { IDEMPOTENCY_DEFAULTS } from './idempotency-options.js';

const EMPTY_RESPONSE: StoredResponse = { status: 0, headers: {}, body: new Uint8Array() };

/**
 * Express middleware for the `Idempotency-Key` header (IETF draft semantics).
 * For the configured methods (default POST and PATCH) it claims the key in the
 * store, scoped by tenant (`getTenant()`), principal, method and route; runs
 * the handler once; records its response BEFORE sending it; and replays that
 * response (status, body bytes, allow-listed headers, `Idempotent-Replayed:
 * true`) to every retry. Answers, all `application/problem+json`:
 * 400 key missing or malformed, 413 body over `maxBodyBytes`, 409 + `Retry-After`
 * while the original is in flight, 422 key reused with another request, 503 +
 * `Retry-After` when the store is unreachable or slow (the handler never runs),
 * 500 + `Retry-After` when the handler ran but its outcome could not be recorded.
 *
 * To commit the recorded response in the same transaction as the business
 * write, pass `idempotencyClaim(res)` to `withIdempotentTransaction`
 * (`bulwark/postgres`); the middleware then sends exactly what committed.
 *
 * Mount it after authentication and `tenant()`, and after your body parser:
 * parsed bodies are fingerprinted in canonical form (JSON key order and
 * whitespace do not matter); without a parser the raw bytes are read (up to
 * `maxBodyBytes`) and left in `req.body` as a Buffer.
 *
 * @example
 * app.post('/transfers', express.json(), idempotency({ store }), createTransfer);
 */
export function idempotency(options: IdempotencyOptions = {}): RequestHandler {
  // biome-ignore lint/complexity/noArguments: the guard needs the real argument count.
  rejectMiddlewareMisuse('idempotency', arguments);
  const config = resolveMiddlewareOptions(options);
  const engine = createIdempotencyEngine({ ...options, store: options.store ?? new MemoryStore() });

  return async function idempotencyMiddleware(req: Request, res: Response, next: NextFunction) {
    if (!config.methods.has(req.method)) return next();
    const parsed = parseClientKey(headerLines(req, config.headerName), config.minKeyLength);
    if (!parsed.ok && parsed.problem === 'missing' && !config.required) return next();
    if (!parsed.ok) return reject(res, parsed.problem, parsed.detail);
    let request: IdempotentRequest | 'too_large';
    try {
      // Awaits only when the stream must be read: a parsed body is at hand.
      const body =
        bodyAtHand(req, config.maxBodyBytes) ?? (await readBody(req, config.maxBodyBytes));
      request = body === 'too_large' ? body : identify(req, config, parsed.key, body);
    } catch (error) {
      if (error instanceof RangeError) return reject(res, 'too_large', 'the body nests too deeply');
      return next(error);
    }
    if (request === 'too_large') {
      return reject(res, 'too_large', `the body exceeds ${config.maxBodyBytes} bytes`);
    }
    return run(engine, config, request, res, next);
  };
}

/** The storage key (scope + client key, hashed) and fingerprint of `req`. */
function identify(
  req: Request,
  config: ResolvedMiddlewareOptions,
  clientKey: string,
  body: FingerprintBody,
): IdempotentRequest {
  const { path, query } = pathAndQuery(req);
  const key = idempotencyStorageKey({
    tenantId: getTenant()?.tenantId,
    principal: config.principal?.(req),
    method: req.method,
    route: routeOf(req),
    clientKey,
  });
  const contentType = req.headers['content-type'];
  const fingerprint = requestFingerprint({ method: req.method, path, query, contentType, body });
  return { key, fingerprint };
}

/** Claims, runs the rest of the chain inside a capture, and answers from the outcome. */
async function run(
  engine: IdempotencyEngine,
  config: ResolvedMiddlewareOptions,
  request: IdempotentRequest,
  res: Response,
  next: NextFunction,
): Promise<void> {
  let capture: ResponseCapture | undefined;
  let captured: CaptureResult | undefined;
  let committed: StoredResponse | undefined;
  let outcome: ExecutionOutcome;
  try {
    outcome = await engine.execute(request, async (_signal, claim): Promise<OperationResult> => {
      const open = openClaim(res, claim);
      capture = captureResponse(res, config.maxResponseBytes);
      next();
      captured = await capture.done;
      committed = open.close();
      // The handler completed the record in its own transaction: that response is the record.
      if (committed !== undefined) {
        return { response: committed, store: true, completedInTransaction: true };
      }
      return toOperationResult(captured, res, config);
    });
  } catch (error) {
    capture?.discard();
    const problem = isBulwarkError(error) ? problemOfError(error) : undefined;
    if (problem === undefined) return next(error);
    recordOutcome(problem === 'store_unavailable' ? 'store_unavailable' : 'executed');
    const retryAfterMs = (error as BulwarkError).retryAfterMs;
    const detail = ERROR_DETAILS[problem] ?? 'the request could not be processed';
    return sendIdempotencyProblem(res, problem, detail, retryAfterMs);
  }
  recordOutcome(outcome.outcome);
  if (outcome.outcome === 'executed') {
    if (committed === undefined || capture === undefined || captured === undefined) {
      return capture?.flush();
    }
    return sendCommitted(res, capture, captured, committed, config.replayHeaders);
  }
  if (outcome.outcome === 'replayed') return sendReplay(res, outcome.response);
  if (outcome.outcome === 'conflict') {
    const detail = 'a request with this key is still being processed; retry later';
    return sendIdempotencyProblem(res, 'conflict', detail, outcome.retryAfterMs);
  }
  const detail = 'this key was used with a different request; use a new key for a new request';
  return sendIdempotencyProblem(res, 'mismatch', detail);
}

function toOperationResult(
  captured: Awaited<ResponseCapture['done']>,
  res: Response,
  config: ResolvedMiddlewareOptions,
): OperationResult {
  if (captured.kind !== 'complete') return { response: EMPTY_RESPONSE, store: false };
  const headers: Record<string, string> = {};
  for (const name of config.replayHeaders) {
    const value = res.getHeader(name);
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    response: { status: captured.status, headers, body: captured.body },
    // A thrown handler error releases the key, whatever status the error handler chose.
    store: responseErrorType(res) === undefined && config.storeStatus(captured.status),
  };
}

function reject(
  res: Response,
  problem: 'missing' | 'malformed' | 'multiple' | 'too_large',
  detail: string,
): void {
  recordOutcome('rejected');
  sendIdempotencyProblem(res, problem, detail);
}
