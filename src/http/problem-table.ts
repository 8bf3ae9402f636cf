import { type BulwarkErrorCode, ErrorCode } from '../errors.js';
import { type HttpAnswer, type Problem, problemAnswer, problemType } from './problem.js';

/*
 * THE table of every problem+json answer bulwark gives, whoever gives it:
 * `idempotency()` and `tenant()` on Express, the Fastify plugin, and both
 * error handlers. One row per kind of problem: status, `type` slug, title,
 * detail, the bulwark code it carries, and its headers (`Retry-After` when
 * the client may retry later, `Connection: close` when the request body may
 * be left unread). A client sees one contract whichever adapter answers.
 *
 * Details are fixed text, never an error's message: messages name hosts,
 * tables and values that are nobody's business outside the service.
 */

/** One kind of problem, as it goes on the wire. */
export interface ProblemKind {
  /** HTTP status. */
  readonly status: number;
  /** The problem `type` slug (`urn:bulwark:problem:<slug>`). */
  readonly slug: string;
  /** The problem `title`. */
  readonly title: string;
  /** The problem `detail`: fixed text. */
  readonly detail: string;
  /** The bulwark code the answer carries, when one belongs to it. */
  readonly code?: BulwarkErrorCode;
  /** Whether the answer carries `Retry-After`. */
  readonly retry?: true;
  /** Whether the answer carries `Connection: close`. */
  readonly closeConnection?: true;
}

const UNAVAILABLE = 'a downstream service is unavailable; retry later';
const SAME_KEY = 'retry with the same Idempotency-Key';
const OUTCOME_UNRECORDED = `the request ran but its outcome could not be recorded; ${SAME_KEY} to learn it`;
const OUTCOME_UNKNOWN = `the request did not complete within its deadline; ${SAME_KEY}`;

/** Every problem bulwark answers with, by name. */
export const PROBLEMS = {
  // Idempotency keys (idempotency(), the Fastify plugin, and errors that reach an error handler).
  idempotencyKeyMissing: row(400, 'idempotency-key-missing', 'Idempotency key required', {
    detail: 'this request needs an Idempotency-Key header',
    code: ErrorCode.IdempotencyKeyMissing,
  }),
  idempotencyKeyInvalid: row(400, 'idempotency-key-invalid', 'Idempotency key invalid', {
    detail:
      'the Idempotency-Key header must appear once, at most 255 printable ASCII characters ' +
      'without spaces, commas, quotes or backslashes',
    code: ErrorCode.IdempotencyKeyInvalid,
  }),
  idempotencyInFlight: row(409, 'idempotency-in-flight', 'Request with this key in flight', {
    detail: 'a request with this Idempotency-Key is still being processed; retry later',
    code: ErrorCode.IdempotencyInFlight,
    retry: true,
  }),
  idempotencyMismatch: row(
    422,
    'idempotency-mismatch',
    'Idempotency key reused with another request',
    {
      detail:
        'this Idempotency-Key was used with a different request; use a new key for a new request',
      code: ErrorCode.IdempotencyMismatch,
    },
  ),
  idempotencyStoreUnavailable: row(
    503,
    'idempotency-store-unavailable',
    'Idempotency store unavailable',
    {
      detail: `the request was not executed; ${SAME_KEY}`,
      code: ErrorCode.IdempotencyStoreUnavailable,
      retry: true,
    },
  ),
  idempotencyOutcomeUnknown: row(
    500,
    'idempotency-outcome-unknown',
    'Outcome unknown: retry with the same key',
    { detail: OUTCOME_UNRECORDED, code: ErrorCode.IdempotencyOutcomeUnknown, retry: true },
  ),
  idempotencyLeaseLost: row(
    500,
    'idempotency-lease-lost',
    'Outcome unknown: retry with the same key',
    { detail: OUTCOME_UNRECORDED, code: ErrorCode.IdempotencyLeaseLost, retry: true },
  ),
  payloadTooLarge: row(413, 'payload-too-large', 'Request body too large', {
    detail: 'the request body is larger than this endpoint accepts',
    code: ErrorCode.PayloadTooLarge,
    closeConnection: true,
  }),
  // Tenants (tenant(), the Fastify plugin). `invalidTenant` gets a detail per field.
  tenantRequired: row(400, 'tenant-required', 'Tenant required', {
    detail: 'the request names no tenant',
    code: ErrorCode.InvalidTenantId,
  }),
  invalidTenant: row(400, 'invalid-tenant', 'Invalid tenant', {
    detail: 'a tenant field is invalid',
  }),
  // Resilience errors that reach an error handler.
  circuitOpen: row(503, 'circuit-open', 'Service unavailable', {
    detail: UNAVAILABLE,
    code: ErrorCode.CircuitOpen,
    retry: true,
  }),
  overloaded: row(503, 'overloaded', 'Service overloaded', {
    detail: 'too many requests are in progress; retry later',
    code: ErrorCode.BulkheadFull,
    retry: true,
  }),
  retryBudgetExhausted: row(503, 'retry-budget-exhausted', 'Service unavailable', {
    detail: UNAVAILABLE,
    code: ErrorCode.RetryBudgetExhausted,
    retry: true,
  }),
  downstreamBusy: row(503, 'downstream-busy', 'Service unavailable', {
    detail: 'a downstream service asked to wait longer than this request may take',
    code: ErrorCode.RetryAfterExceedsDeadline,
    retry: true,
  }),
  // A deadline may pass while a downstream call is in flight: money may have
  // moved or not. 503 + Retry-After tells the client to retry with the same
  // key, and the re-run sends the downstream the same derived key and payment.
  deadlineExceeded: row(503, 'deadline-exceeded', 'Deadline exceeded', {
    detail: OUTCOME_UNKNOWN,
    code: ErrorCode.DeadlineExceeded,
    retry: true,
  }),
  aborted: row(503, 'aborted', 'Request aborted', {
    detail: 'the work was cancelled before it completed',
    code: ErrorCode.Aborted,
    retry: true,
  }),
  // A network failure of a downstream call: it may or may not have acted.
  downstreamUnreachable: row(503, 'downstream-unreachable', 'Service unavailable', {
    detail: `a downstream call failed and its outcome is unknown; ${SAME_KEY}`,
    retry: true,
  }),
  // Request bodies refused by a parser (body-parser on Express, Fastify's own).
  tooManyParameters: row(413, 'payload-too-large', 'Request body too large', {
    detail: 'the request body has too many parameters',
  }),
  malformedBody: row(400, 'malformed-body', 'Malformed body', {
    detail: 'the request body could not be parsed',
  }),
  bodyLengthMismatch: row(400, 'malformed-body', 'Malformed body', {
    detail: 'the request body does not match its Content-Length',
  }),
  requestAborted: row(400, 'request-aborted', 'Request aborted', {
    detail: 'the client aborted the request body',
  }),
  unsupportedEncoding: row(415, 'unsupported-encoding', 'Unsupported encoding', {
    detail: 'the Content-Encoding is not supported',
  }),
  unsupportedCharset: row(415, 'unsupported-encoding', 'Unsupported charset', {
    detail: 'the charset is not supported',
  }),
  unsupportedMediaType: row(415, 'unsupported-media-type', 'Unsupported media type', {
    detail: 'the Content-Type is not accepted here',
  }),
  invalidRequest: row(400, 'invalid-request', 'Invalid request', {
    detail: 'the request does not match what this route accepts',
  }),
  internal: row(500, 'internal', 'Internal server error', { detail: '' }),
} satisfies Record<string, ProblemKind>;

/** The name of one row of {@link PROBLEMS}. */
export type ProblemName = keyof typeof PROBLEMS;

/** What an answer may add to its row. */
export interface ProblemOccurrence {
  /** The code of the error answered, in place of the row's (a timeout answered as a deadline). */
  readonly code?: string | undefined;
  /** The wait for `Retry-After`; rows without `retry` ignore it, rows with it default to 1 s. */
  readonly retryAfterMs?: number | undefined;
  /** A detail for this occurrence, in place of the row's (an invalid tenant names its field). */
  readonly detail?: string | undefined;
  /** Extra members (`field`). */
  readonly members?: Readonly<Record<string, unknown>>;
}

/** The Retry-After a retryable row gets when nothing says how long to wait. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/** The problem body of one row. */
export function problemOf(kind: ProblemKind, occurrence: ProblemOccurrence = {}): Problem {
  const code = occurrence.code ?? kind.code;
  const detail = occurrence.detail ?? kind.detail;
  return {
    type: problemType(kind.slug),
    title: kind.title,
    status: kind.status,
    ...(detail === '' ? {} : { detail }),
    ...(code === undefined ? {} : { code }),
    ...occurrence.members,
  };
}

/** One row as a complete answer: its problem body and its headers. */
export function answerOf(kind: ProblemKind, occurrence: ProblemOccurrence = {}): HttpAnswer {
  return problemAnswer(problemOf(kind, occurrence), {
    retryAfterMs:
      kind.retry === true ? (occurrence.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) : undefined,
    closeConnection: kind.closeConnection,
  });
}

/** Builds a generic 4xx row for a client error the table does not name. */
export function clientErrorKind(status: number, title: string): ProblemKind {
  return { status, slug: `http-${status}`, title, detail: 'the request was refused' };
}

function row(
  status: number,
  slug: string,
  title: string,
  rest: Omit<ProblemKind, 'status' | 'slug' | 'title'>,
): ProblemKind {
  return { status, slug, title, ...rest };
}
