import type { ServerResponse } from 'node:http';
import { errorType } from '../resilience/error-type.js';

/*
 * An error handler knows why a request failed; the metrics record the request
 * when it finishes, and idempotency decides whether its answer may be
 * recorded. This hands "an error answered this response, of this type" from
 * one to the others, keyed by the Node response (Express's `res`, Fastify's
 * `reply.raw`), without putting anything on it.
 */
const byResponse = new WeakMap<ServerResponse, string>();

/** Notes that `res` answers `error`, with the error's bounded `error.type`. */
export function noteResponseError(res: ServerResponse, error: unknown): void {
  byResponse.set(res, errorType(error));
}

/** The `error.type` noted for `res`, if an error answered it. */
export function responseErrorType(res: ServerResponse): string | undefined {
  return byResponse.get(res);
}
