import type { ServerResponse } from 'node:http';
import { ABORTED_ERROR_TYPE, httpStatusType } from '../resilience/error-type.js';
import type { Tenant } from '../tenant/types.js';
import { responseErrorType } from './response-error.js';

/** One request as the HTTP metrics record it, once its response finished or its connection closed. */
export interface FinishedRequest {
  /** A known HTTP method, or `_OTHER` (the semantic conventions' bound on cardinality). */
  readonly method: string;
  /** The route template, or `undefined` when no route matched. */
  readonly route: string | undefined;
  /** The status sent, or `undefined` when the connection closed before the response started. */
  readonly statusCode: number | undefined;
  /** From the request being seen to its response finishing, in seconds. */
  readonly durationSeconds: number;
  /** `error.type`: set for 5xx answers and for requests aborted before their response completed. */
  readonly errorType: string | undefined;
  /** The tenant the request was for, when known. */
  readonly tenant: Tenant | undefined;
}

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'QUERY',
  'TRACE',
]);

/**
 * Describes a request as it ends, from what the adapter knows of it: its
 * `method`, the route template the framework matched (`/transfers/:id`, never
 * the raw path; `undefined` when none matched), Node's response,
 * `performance.now()` when the request was first seen, and its tenant.
 * Cheap: one Set lookup and a few fields; arguments rather than an object,
 * one object per request fewer (the http-server benchmarks).
 */
export function finishedRequest(
  method: string,
  route: string | undefined,
  res: ServerResponse,
  startedAtMs: number,
  tenant: Tenant | undefined,
): FinishedRequest {
  const finished = res.writableFinished;
  const statusCode = answerStarted(res, finished) ? res.statusCode : undefined;
  return {
    method: KNOWN_METHODS.has(method) ? method : '_OTHER',
    route,
    statusCode,
    durationSeconds: (performance.now() - startedAtMs) / 1000,
    errorType: errorTypeOf(res, statusCode, !finished),
    tenant,
  };
}

/**
 * Whether the response's head went out. A finished response has sent it, so
 * `headersSent` is read only for one that did not finish: on Express each
 * read of a response's property is costly, as every `res` has a hidden class
 * of its own (scenario `http-server`, `benchmarks/profile/in-process.mjs --profile`).
 */
function answerStarted(res: ServerResponse, finished: boolean): boolean {
  return finished || res.headersSent;
}

function errorTypeOf(res: ServerResponse, statusCode: number | undefined, aborted: boolean) {
  if (statusCode !== undefined && statusCode >= 500) {
    // The error's type when an error handler answered, else the status.
    return responseErrorType(res) ?? httpStatusType(statusCode);
  }
  return aborted ? ABORTED_ERROR_TYPE : undefined;
}

/**
 * Calls `onEnd` once, when `res` is over: finished, or its connection closed
 * first (an aborted request has no 'finish'). A listener on the Node response,
 * so it fires whatever the framework does. One plain 'close' listener is
 * enough: Node emits 'close' on every response, once, a tick after 'finish'
 * when it finished; and one listener costs less than a `once` pair
 * (the http-server benchmark).
 */
export function onResponseEnd(res: ServerResponse, onEnd: () => void): void {
  res.on('close', onEnd);
}
