import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IdempotencyOptions as NeutralIdempotencyOptions } from '../http/idempotency-options.js';
import { resolveIdempotencyOptions } from '../http/idempotency-options.js';
import { answerIdempotently } from '../http/idempotent-exchange.js';
import { type Admission, admit } from '../http/idempotent-request.js';
import { writeAnswer } from '../http/problem.js';
import { createIdempotencyEngine, type IdempotencyEngine } from '../idempotency/engine.js';
import { MemoryStore } from '../idempotency/memory-store.js';
import { ExpressExchange } from './express-exchange.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { routeOf } from './request-route.js';

export type { IdempotencyRequestClaim } from '../http/idempotency-claim.js';
export { idempotencyClaim } from '../http/idempotency-claim.js';
export { IDEMPOTENCY_DEFAULTS } from '../http/idempotency-options.js';

/** Options of {@link idempotency}; `principal` receives the Express request. */
export type IdempotencyOptions = NeutralIdempotencyOptions<Request>;

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
  const config = resolveIdempotencyOptions(options);
  const engine = createIdempotencyEngine({ ...options, store: options.store ?? new MemoryStore() });

  return function idempotencyMiddleware(req: Request, res: Response, next: NextFunction) {
    if (!config.methods.has(req.method)) return next();
    const admission = admit(config, {
      req,
      raw: req,
      url: req.originalUrl,
      route: () => routeOf(req),
      parsedBody: req.body,
      keepBody: (bytes) => {
        req.body = bytes;
      },
    });
    // Awaits only when the body stream had to be read: a parsed body is at hand.
    if (admission instanceof Promise) {
      return admission.then((admitted) => proceed(admitted, engine, config, res, next));
    }
    return proceed(admission, engine, config, res, next);
  };
}

function proceed(
  admission: Admission,
  engine: IdempotencyEngine,
  config: ReturnType<typeof resolveIdempotencyOptions<Request>>,
  res: Response,
  next: NextFunction,
): void | Promise<void> {
  switch (admission.kind) {
    case 'pass':
      return next();
    case 'refuse':
      return writeAnswer(res, admission.answer);
    case 'fail':
      return next(admission.error);
    case 'claim':
      // Not returned to Express: it never rejects (errors go to `next`), and
      // Express 5 would otherwise chain a handler on it for every request.
      void answerIdempotently(
        engine,
        config,
        admission.request,
        new ExpressExchange(res, next, config),
      );
  }
}
