import { invalidOption } from '../errors.js';
import { answerFor } from './error-answer.js';
import type { HttpAnswer } from './problem.js';
import { answerOf } from './problem-table.js';

/** Options of an error handler (`errorHandler()` on Express, `errors` of the Fastify plugin). */
export interface ErrorHandlerOptions<Req = unknown> {
  /**
   * Called with every error the handler receives, before it answers (also
   * for errors raised after the answer started, which it cannot answer):
   * the place to log it (the response itself never carries a message or a
   * stack). Whatever it throws or rejects with is ignored. Default none.
   */
  onError?: ((error: unknown, req: Req) => unknown) | undefined;
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

/** A resolved error handler: tells `onError`, and builds the answer of an error. */
export interface ErrorResponder<Req> {
  /** Tells `onError` (never throws). */
  report(error: unknown, req: Req): void;
  /** The problem+json answer of `error`, from the one problem table. */
  answer(error: unknown): HttpAnswer;
}

/** Validates the options once (errors name `scope`) and returns the responder. */
export function createErrorResponder<Req>(
  options: ErrorHandlerOptions<Req>,
  scope: string,
): ErrorResponder<Req> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(scope, 'options', options, 'an options object or undefined');
  }
  const { onError } = options;
  if (onError !== undefined && typeof onError !== 'function') {
    throw invalidOption(scope, 'onError', onError, 'a function (error, req) => void');
  }
  const retryAfterMs = options.retryAfterMs ?? ERROR_HANDLER_DEFAULTS.retryAfterMs;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw invalidOption(scope, 'retryAfterMs', retryAfterMs, 'a finite number >= 0');
  }
  return {
    report(error, req) {
      if (onError !== undefined) report(onError, error, req);
    },
    answer(error) {
      const { kind, occurrence } = answerFor(error);
      return answerOf(kind, {
        ...occurrence,
        retryAfterMs: occurrence.retryAfterMs ?? retryAfterMs,
      });
    },
  };
}

function report<Req>(onError: (error: unknown, req: Req) => unknown, error: unknown, req: Req) {
  try {
    const result = onError(error, req);
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A failing logger must not turn a clean problem answer into a crash.
  }
}
