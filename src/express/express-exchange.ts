import type { NextFunction, Request, Response } from 'express';
import type { ResolvedIdempotencyOptions } from '../http/idempotency-options.js';
import type { HandlerExchange, HeldAnswer } from '../http/idempotent-exchange.js';
import { type HttpAnswer, writeAnswer } from '../http/problem.js';
import { applyRecordedHeaders, replayableHeaders } from '../http/recorded-answer.js';
import { responseErrorType } from '../http/response-error.js';
import { type CaptureResult, captureResponse, type ResponseCapture } from './response-capture.js';

/**
 * One idempotent Express request, as the framework-neutral flow drives it:
 * the handler is the rest of the chain (`next()`), and its answer is held by
 * a capture of `res` until the engine has recorded it.
 */
export class ExpressExchange implements HandlerExchange {
  readonly res: Response;
  readonly #next: NextFunction;
  readonly #config: ResolvedIdempotencyOptions<Request>;
  #capture: ResponseCapture<HeldAnswer> | undefined;

  constructor(res: Response, next: NextFunction, config: ResolvedIdempotencyOptions<Request>) {
    this.res = res;
    this.#next = next;
    this.#config = config;
  }

  // The capture settles with the held answer itself, not an async function
  // awaiting it: two promises per request fewer (the http-server benchmark).
  runHandler(): Promise<HeldAnswer> {
    const capture = captureResponse(this.res, this.#config.maxResponseBytes, (result) =>
      this.#held(result),
    );
    this.#capture = capture;
    this.#next();
    return capture.done;
  }

  #held(held: CaptureResult): HeldAnswer {
    if (held.kind !== 'complete') return held;
    const res = this.res;
    return {
      kind: 'complete',
      status: held.status,
      body: held.body,
      headers: replayableHeaders(this.#config.replayHeaders, res),
      // errorHandler() answered: a thrown error, whatever status it chose.
      errored: responseErrorType(res) !== undefined,
    };
  }

  sendHeld(headers?: Readonly<Record<string, string>>): void {
    const res = this.res;
    if (headers === undefined) {
      this.#capture?.flush();
      return;
    }
    this.#capture?.flush(() =>
      applyRecordedHeaders(
        this.#config.replayHeaders,
        headers,
        (name) => res.removeHeader(name),
        (name, value) => res.setHeader(name, value),
      ),
    );
  }

  dropHeld(): void {
    this.#capture?.discard();
  }

  send(answer: HttpAnswer): void {
    writeAnswer(this.res, answer);
  }

  fail(error: unknown): void {
    this.#next(error);
  }
}
