import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { invalidOption } from '../errors.js';
import { answerFor } from './error-problems.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { sendProblem } from './problem.js';
import { noteResponseError } from './response-error.js';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /**
   * Called with every error this handler answers, before the answer is sent:
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
 *   deadline or attempt timeout → 504
 * - invalid tenant field → 400 with `field`; body-parser errors → 413 / 400 / 415
 * - idempotency errors that reach it → 400 / 409 / 422 / 503
 * - anything else → 500 with no message, stack or other internals.
 *
 * If the response has already started, the error goes on to Express, which
 * closes the connection: a half-sent answer cannot be replaced.
 * Mount it after every route.
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
    next: NextFunction,
  ): void {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (onError !== undefined) report(onError, error, req);
    const { problem, retryAfterMs } = answerFor(error);
    noteResponseError(res, error);
    if (retryAfterMs === undefined) sendProblem(res, problem);
    else sendProblem(res, problem, { retryAfterMs: retryAfterMs ?? defaultRetryAfterMs });
  };
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
