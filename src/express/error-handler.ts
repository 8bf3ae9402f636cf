import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import {
  createErrorResponder,
  type ErrorHandlerOptions as NeutralErrorHandlerOptions,
} from '../http/error-reporting.js';
import { writeAnswer } from '../http/problem.js';
import { noteResponseError } from '../http/response-error.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';

export { ERROR_HANDLER_DEFAULTS } from '../http/error-reporting.js';

/** Options of {@link errorHandler}; `onError` receives the Express request. */
export type ErrorHandlerOptions = NeutralErrorHandlerOptions<Request>;

/**
 * Express error middleware that answers every error as problem+json
 * (RFC 9457), with a stable `type` per kind of problem:
 *
 * - open circuit breaker → 503 with `Retry-After`; bulkhead full → 503;
 *   retry budget spent, or a downstream asking to wait past the deadline → 503;
 *   deadline or attempt timeout → 503 with `Retry-After` (a downstream call's
 *   outcome is unknown: retry with the same key); a downstream's network failure → 503
 * - invalid tenant field → 400 with `field`; body-parser errors → 413 / 400 / 415
 * - idempotency errors that reach it → 400 / 409 / 422 / 503
 * - anything else → 500 with no message, stack or other internals.
 *
 * An error raised after the answer started never writes a second head: a
 * complete answer is left as it is (the connection stays usable), a
 * half-sent one is cut off by destroying the connection. Either way `onError`
 * is told. Mount it after every route.
 *
 * @example
 * app.use(errorHandler({ onError: (error, req) => logger.error({ error, path: req.path }) }));
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  // biome-ignore lint/complexity/noArguments: the guard needs the real argument count.
  rejectMiddlewareMisuse('errorHandler', arguments);
  const responder = createErrorResponder(options, 'errorHandler');
  return function errorHandlerMiddleware(
    error: unknown,
    req: Request,
    res: Response,
    _next: NextFunction,
  ): void {
    responder.report(error, req);
    if (res.headersSent) {
      // An answer has begun: a second head would be read as part of it (or as
      // a forged next response). A complete answer stands; a cut-short one
      // cannot be finished, so the connection is dropped, a tick later (as
      // Express does) so that the bytes already written still go out.
      if (!res.writableEnded) setImmediate(cutShort, res);
      return;
    }
    noteResponseError(res, error);
    writeAnswer(res, responder.answer(error));
  };
}

function cutShort(res: Response): void {
  if (!res.writableEnded) res.destroy();
}
