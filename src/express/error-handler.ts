import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { invalidOption } from '../errors.js';
import { answerFor } from './error-problems.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { sendProblem } from './problem.js';
import { noteResponseError } from './response-error.js';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /**
   * Called with every error this handler receives, before it answers (also
   * for errors raised after the answer started, which it cannot answer):
   * the place to log it (the response itself never carries a message or a
   * stack). Whatever it throws or rejects with is ignored. Default none.
   */
  onError?: ((error: unknown, req: Request) => unknown) | undefined;
  /**
   * `Retry-After` for a retryable answer (503, 409) whose error carries no
   * `retryAfterMs` of its own, in milliseconds; sent in whole seconds,
   * rounded up. Default 1000.
   */
  retryAfterMs?: number;
}

/** Defaults of {@link ErrorHandlerOptions}. */
export const ERROR_HANDLER_DEFAULTS = {
  onError: undefined,
  retryAfterMs: 1000,
} as const satisfies ErrorHandlerOptions;

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
  const { onError, retryAfterMs: defaultRetryAfterMs } = resolveOptions(options);
  return function errorHandlerMiddleware(
    error: unknown,
    req: Request,
    res: Response,
    _next: NextFunction,
  ): void {
    if (onError !== undefined) report(onError, error, req);
    if (res.headersSent) {
      // An answer has begun: a second head would be read as part of it (or as
      // a forged next response). A complete answer stands; a cut-short one
      // cannot be finished, so the connection is dropped, a tick later (as
      // Express does) so that the bytes already written still go out.
      if (!res.writableEnded) setImmediate(cutShort, res);
      return;
    }
    const { problem, retryAfterMs } = answerFor(error);
    noteResponseError(res, error);
    if (retryAfterMs === undefined) sendProblem(res, problem);
    else sendProblem(res, problem, { retryAfterMs: retryAfterMs ?? defaultRetryAfterMs });
  };
}

function cutShort(res: Response): void {
  if (!res.writableEnded) res.destroy();
}

function report(
  onError: (error: unknown, req: Request) => unknown,
  error: unknown,
  req: Request,
): void {
  try {
    const result = onError(error, req);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A failing logger must not turn a clean problem answer into a crash.
  }
}

function resolveOptions(options: ErrorHandlerOptions) {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('errorHandler', 'options', options, 'an options object or undefined');
  }
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidOption('errorHandler', 'onError', onError, 'a function (error, req) => void');
  }
  const retryAfterMs = options.retryAfterMs ?? ERROR_HANDLER_DEFAULTS.retryAfterMs;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw invalidOption('errorHandler', 'retryAfterMs', retryAfterMs, 'a finite number >= 0');
  }
  return { onError, retryAfterMs };
}
