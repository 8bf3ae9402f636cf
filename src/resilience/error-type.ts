import { ErrorCode, isBulwarkError } from '../errors.js';

/*
 * The one place `error.type` is decided, for spans and metrics alike (resilience
 * events, `bulwark/fetch` attempt spans, HTTP server metrics in `bulwark/express`
 * and `bulwark/fastify`). It is a metric attribute, so its values form a fixed
 * set: anything outside it is `_OTHER`, as the semantic conventions ask. A
 * `code` or class name is never trusted as bounded on its own: wrappers build
 * them from data (`ACCT_4711`, `Tenant4711Error`), and each would be a series.
 */

/** `error.type` of a request whose connection closed before its response was complete. */
export const ABORTED_ERROR_TYPE = 'aborted';

/** The value for every error outside the fixed set. */
export const OTHER_ERROR_TYPE = '_OTHER';

/** Transport codes of Node and undici that name a network failure. */
const NETWORK_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ABORT_ERR',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
] as const;

/** Class names of the platform's and cockatiel's errors. */
const ERROR_NAMES = [
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
  'AbortError',
  'TimeoutError',
  'BrokenCircuitError',
  'BulkheadRejectedError',
  'TaskCancelledError',
  'IsolatedCircuitError',
] as const;

const CODES = new Set<string>([...Object.values(ErrorCode), ...NETWORK_CODES]);
const NAMES = new Set<string>(ERROR_NAMES);

/**
 * The `error.type` of an error, from a fixed set: a bulwark code, a network
 * code of Node or undici, an HTTP status (100-599) carried as `status` or
 * `statusCode`, a platform or cockatiel error class; else `_OTHER`. Never the
 * message, which may hold ids or amounts.
 */
export function errorType(error: unknown): string {
  if (isBulwarkError(error)) return error.code;
  if (typeof error !== 'object' || error === null) return OTHER_ERROR_TYPE;
  const { code, status, statusCode, name } = error as Record<string, unknown>;
  if (typeof code === 'string' && CODES.has(code)) return code;
  const http = httpStatusType(status) ?? httpStatusType(statusCode);
  if (http !== undefined) return http;
  if (typeof name === 'string' && NAMES.has(name)) return name;
  return OTHER_ERROR_TYPE;
}

/** A status as `error.type` (`'503'`), or `undefined` when it is not an HTTP status. */
export function httpStatusType(status: unknown): string | undefined {
  return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599
    ? String(status)
    : undefined;
}
