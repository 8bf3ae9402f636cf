import { STATUS_CODES } from 'node:http';
import { type BulwarkErrorCode, isBulwarkError } from '../errors.js';
import { isTransientError } from '../resilience/transient.js';
import {
  BODY_PARSER_KINDS,
  COCKATIEL_FLAGS,
  DOWNSTREAM_UNREACHABLE,
  type ErrorKind,
  KINDS_BY_CODE,
} from './error-kinds.js';
import { type Problem, problemType } from './problem.js';
import { invalidTenantProblem, tenantFieldOf } from './tenant-problem.js';

/** What an error becomes on the wire: the problem, and whether to send `Retry-After`. */
export interface ErrorAnswer {
  /** The problem+json body. */
  readonly problem: Problem;
  /** Set when the client may retry later: the wait in milliseconds, or `null` for the default. */
  readonly retryAfterMs?: number | null;
}

const INTERNAL: Problem = {
  type: problemType('internal'),
  title: 'Internal server error',
  status: 500,
};

/**
 * Classifies `error`: bulwark errors by `code`, cockatiel's by their flags,
 * body-parser's by `type`, other http-errors 4xx by status, a downstream's
 * network failure as 503; anything else is a 500 that says nothing more.
 */
export function answerFor(error: unknown): ErrorAnswer {
  const code = codeOf(error);
  if (code !== undefined && isBulwarkError(error)) {
    const field = tenantFieldOf(code);
    if (field !== undefined) return { problem: invalidTenantProblem(error, field) };
  }
  const kind =
    (code && KINDS_BY_CODE[code]) ||
    clientErrorKind(error) ||
    (isTransientError(error) ? DOWNSTREAM_UNREACHABLE : undefined);
  if (kind === undefined) return { problem: INTERNAL };
  const problem: Problem = {
    type: problemType(kind.slug),
    title: kind.title,
    status: kind.status,
    detail: kind.detail,
    ...(code === undefined ? {} : { code }),
  };
  if (kind.retry !== true) return { problem };
  const retryAfterMs = isBulwarkError(error) ? error.retryAfterMs : undefined;
  return { problem, retryAfterMs: validWait(retryAfterMs) ? retryAfterMs : null };
}

function codeOf(error: unknown): BulwarkErrorCode | undefined {
  if (isBulwarkError(error)) return error.code;
  if (typeof error !== 'object' || error === null) return undefined;
  const flags = error as Record<string, unknown>;
  return COCKATIEL_FLAGS.find(([flag]) => flags[flag] === true)?.[1];
}

/**
 * body-parser's errors by `type`; then any other http-errors 4xx marked
 * `expose` (a failed gunzip, a `verify` refusal) by its status alone.
 */
function clientErrorKind(error: unknown): ErrorKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, expose, status } = error as { type?: unknown; expose?: unknown; status?: unknown };
  // `expose` is the http-errors mark of an error made for the client.
  if (expose !== true) return undefined;
  const known = typeof type === 'string' ? BODY_PARSER_KINDS[type] : undefined;
  if (known !== undefined) return known;
  if (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 499) {
    return undefined;
  }
  const title = STATUS_CODES[status as number] ?? 'Client error';
  return {
    status: status as number,
    slug: `http-${status}`,
    title,
    detail: 'the request was refused',
  };
}

function validWait(ms: number | undefined): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}
