import type { ServerResponse } from 'node:http';
import { isBulwarkError } from '../errors.js';

/*
 * `errorHandler()` knows why a request failed; `requestMetrics()` records the
 * request when it finishes. This hands the kind of failure from one to the
 * other for `error.type`, without putting anything on the response object.
 */
const byResponse = new WeakMap<ServerResponse, string>();

const MAX_TYPE_LENGTH = 64;

/** Notes the low-cardinality type of the error that `res` answers. */
export function noteResponseError(res: ServerResponse, error: unknown): void {
  byResponse.set(res, errorType(error));
}

/** The type noted for `res`, if an error handler answered it. */
export function responseErrorType(res: ServerResponse): string | undefined {
  return byResponse.get(res);
}

/**
 * A bulwark error's `code`, else the error's class name (bounded: classes are
 * code, not data), else `_OTHER` as the semantic conventions ask.
 */
function errorType(error: unknown): string {
  if (isBulwarkError(error)) return error.code;
  const name = error instanceof Error ? error.constructor.name : '';
  return name !== '' && name.length <= MAX_TYPE_LENGTH ? name : '_OTHER';
}
