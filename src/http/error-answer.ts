import { STATUS_CODES } from 'node:http';
import { type BulwarkErrorCode, ErrorCode, isBulwarkError } from '../errors.js';
import { isTransientError } from '../resilience/transient.js';
import {
  clientErrorKind,
  PROBLEMS,
  type ProblemKind,
  type ProblemOccurrence,
} from './problem-table.js';
import { invalidTenantOccurrence, tenantFieldOf } from './tenant-problem.js';

/** What an error becomes on the wire: a row of the problem table and what this occurrence adds. */
export interface ErrorAnswer {
  readonly kind: ProblemKind;
  readonly occurrence: ProblemOccurrence;
}

/** Bulwark error codes an error handler maps; the rest become a plain 500. */
const KINDS_BY_CODE: Partial<Record<BulwarkErrorCode, ProblemKind>> = {
  [ErrorCode.CircuitOpen]: PROBLEMS.circuitOpen,
  [ErrorCode.BulkheadFull]: PROBLEMS.overloaded,
  [ErrorCode.RetryBudgetExhausted]: PROBLEMS.retryBudgetExhausted,
  [ErrorCode.RetryAfterExceedsDeadline]: PROBLEMS.downstreamBusy,
  [ErrorCode.DeadlineExceeded]: PROBLEMS.deadlineExceeded,
  [ErrorCode.AttemptTimeout]: PROBLEMS.deadlineExceeded,
  [ErrorCode.Aborted]: PROBLEMS.aborted,
  [ErrorCode.PayloadTooLarge]: PROBLEMS.payloadTooLarge,
  [ErrorCode.IdempotencyKeyMissing]: PROBLEMS.idempotencyKeyMissing,
  [ErrorCode.IdempotencyKeyInvalid]: PROBLEMS.idempotencyKeyInvalid,
  [ErrorCode.IdempotencyMismatch]: PROBLEMS.idempotencyMismatch,
  [ErrorCode.IdempotencyInFlight]: PROBLEMS.idempotencyInFlight,
  [ErrorCode.IdempotencyStoreUnavailable]: PROBLEMS.idempotencyStoreUnavailable,
  [ErrorCode.IdempotencyOutcomeUnknown]: PROBLEMS.idempotencyOutcomeUnknown,
  [ErrorCode.IdempotencyLeaseLost]: PROBLEMS.idempotencyLeaseLost,
};

/** cockatiel's own errors pass through bulwark unwrapped; they carry these flags. */
const COCKATIEL_FLAGS: ReadonlyArray<readonly [flag: string, code: BulwarkErrorCode]> = [
  ['isBrokenCircuitError', ErrorCode.CircuitOpen],
  ['isBulkheadRejectedError', ErrorCode.BulkheadFull],
  ['isTaskCancelledError', ErrorCode.DeadlineExceeded],
];

/** body-parser (`express.json()` and friends) marks its errors with `type`. */
const BODY_PARSER_KINDS: Readonly<Record<string, ProblemKind>> = {
  'entity.too.large': PROBLEMS.payloadTooLarge,
  'parameters.too.many': PROBLEMS.tooManyParameters,
  'entity.parse.failed': PROBLEMS.malformedBody,
  'request.size.invalid': PROBLEMS.bodyLengthMismatch,
  'request.aborted': PROBLEMS.requestAborted,
  'encoding.unsupported': PROBLEMS.unsupportedEncoding,
  'charset.unsupported': PROBLEMS.unsupportedCharset,
};

/** Fastify marks its request errors with a `code`. */
const FASTIFY_KINDS: Readonly<Record<string, ProblemKind>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: PROBLEMS.payloadTooLarge,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: PROBLEMS.bodyLengthMismatch,
  FST_ERR_CTP_EMPTY_JSON_BODY: PROBLEMS.malformedBody,
  FST_ERR_CTP_INVALID_JSON_BODY: PROBLEMS.malformedBody,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: PROBLEMS.unsupportedMediaType,
  FST_ERR_CTP_INVALID_TYPE: PROBLEMS.unsupportedMediaType,
  FST_ERR_VALIDATION: PROBLEMS.invalidRequest,
};

/**
 * Classifies `error`: bulwark errors by `code`, cockatiel's by their flags,
 * body-parser's by `type`, Fastify's by `code`, other client errors (4xx
 * marked for the client) by status, a downstream's network failure as 503;
 * anything else is a 500 that says nothing more.
 */
export function answerFor(error: unknown): ErrorAnswer {
  const code = codeOf(error);
  if (code !== undefined) {
    const field = tenantFieldOf(code);
    if (field !== undefined)
      return { kind: PROBLEMS.invalidTenant, occurrence: invalidTenantOccurrence(code, field) };
    const kind = KINDS_BY_CODE[code];
    if (kind !== undefined) return { kind, occurrence: { code, retryAfterMs: waitOf(error) } };
  }
  const client = clientErrorOf(error);
  if (client !== undefined) return { kind: client, occurrence: {} };
  if (isTransientError(error)) return { kind: PROBLEMS.downstreamUnreachable, occurrence: {} };
  return { kind: PROBLEMS.internal, occurrence: {} };
}

function codeOf(error: unknown): BulwarkErrorCode | undefined {
  if (isBulwarkError(error)) return error.code;
  if (typeof error !== 'object' || error === null) return undefined;
  const flags = error as Record<string, unknown>;
  return COCKATIEL_FLAGS.find(([flag]) => flags[flag] === true)?.[1];
}

/**
 * A client error the framework raised: body-parser's by `type` and any other
 * http-errors 4xx marked `expose`; Fastify's by `code` and any other `FST_`
 * error with a 4xx `statusCode`. Each by its status alone when unnamed.
 */
function clientErrorOf(error: unknown): ProblemKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, expose, status, statusCode, code } = error as Record<string, unknown>;
  // `expose` is the http-errors mark of an error made for the client.
  if (expose === true) {
    const known = typeof type === 'string' ? BODY_PARSER_KINDS[type] : undefined;
    return known ?? clientStatusKind(status);
  }
  if (typeof code === 'string' && code.startsWith('FST_')) {
    return FASTIFY_KINDS[code] ?? clientStatusKind(statusCode);
  }
  return undefined;
}

function clientStatusKind(status: unknown): ProblemKind | undefined {
  if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 499) {
    return undefined;
  }
  return clientErrorKind(status as number, STATUS_CODES[status as number] ?? 'Client error');
}

function waitOf(error: unknown): number | undefined {
  const ms = isBulwarkError(error) ? error.retryAfterMs : undefined;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
