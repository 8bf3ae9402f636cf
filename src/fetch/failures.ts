import { BulwarkError, ErrorCode } from '../errors.js';

/**
 * Constructors of the errors bulwark's fetch raises itself, outside the
 * pipeline: waits the pipeline does not see (the caller's request stream, the
 * response body) end with the same codes as the pipeline's own deadline,
 * attempt timeout and abort, so a caller checks one `code` whatever the phase.
 * Redirect failures are `TypeError('fetch failed')` with a `cause`, as `fetch`
 * itself reports them.
 */

/** The total deadline passed while the caller was reading the response body. */
export function bodyDeadlineExceeded(pipeline: string, totalMs: number): BulwarkError {
  return new BulwarkError(
    ErrorCode.DeadlineExceeded,
    `${pipeline}: total deadline of ${totalMs} ms exceeded while reading the response body`,
  );
}

/** The caller's signal aborted while the response body was being read; `cause` is its reason. */
export function bodyAborted(pipeline: string, reason: unknown): BulwarkError {
  return new BulwarkError(
    ErrorCode.Aborted,
    `${pipeline}: aborted by the caller while reading the response body`,
    { cause: reason },
  );
}

/**
 * The caller's request body stream did not end within the first attempt's
 * bound (`code` says which: attempt timeout or deadline). Nothing was sent.
 */
export function requestBodyStalled(
  pipeline: string,
  code: typeof ErrorCode.AttemptTimeout | typeof ErrorCode.DeadlineExceeded,
  limitMs: number,
): BulwarkError {
  const what = code === ErrorCode.AttemptTimeout ? 'attempt timeout' : 'total deadline';
  return new BulwarkError(
    code,
    `${pipeline}: the request body stream did not end within the ${what} of ${limitMs} ms; nothing was sent`,
  );
}

/** The caller's signal aborted while the request body stream was being read; nothing was sent. */
export function requestBodyAborted(pipeline: string, reason: unknown): BulwarkError {
  return new BulwarkError(
    ErrorCode.Aborted,
    `${pipeline}: aborted by the caller while reading the request body; nothing was sent`,
    { cause: reason },
  );
}

/** A redirect that `fetch` too would refuse to follow (loop, bad Location, spent stream). */
export function redirectFailed(why: string): TypeError {
  return new TypeError('fetch failed', { cause: new Error(why) });
}
