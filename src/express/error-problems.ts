import { type BulwarkErrorCode, isBulwarkError } from '../errors.js';
import {
  BODY_PARSER_KINDS,
  COCKATIEL_FLAGS,
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
 * body-parser's by `type`; anything else is a 500 that says nothing more.
 */
export function answerFor(error: unknown): ErrorAnswer {
  const code = codeOf(error);
  if (code !== undefined && isBulwarkError(error)) {
    const field = tenantFieldOf(code);
    if (field !== undefined) return { problem: invalidTenantProblem(error, field) };
  }
  const kind = (code && KINDS_BY_CODE[code]) || bodyParserKind(error);
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

function bodyParserKind(error: unknown): ErrorKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, expose } = error as { type?: unknown; expose?: unknown };
  // `expose` is the http-errors mark of an error made for the client.
  return typeof type === 'string' && expose === true ? BODY_PARSER_KINDS[type] : undefined;
}

function validWait(ms: number | undefined): ms is number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
}
