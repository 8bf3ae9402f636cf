import type { ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { BulwarkError } from '../errors.js';
import { ErrorCode } from '../errors.js';
import type { StoredResponse } from '../idempotency/store.js';
import { Attr, Metric } from '../telemetry/attributes.js';
import { lazyInstruments } from '../telemetry/instruments.js';
import { createJurisdictionGuard } from '../telemetry/jurisdiction-guard.js';
import { getTenant } from '../tenant/context.js';
import { problemType, sendProblem } from './problem.js';

/** The low-cardinality outcome recorded on metrics and spans; never the key. */
export type IdempotencyOutcomeLabel =
  | 'executed'
  | 'replayed'
  | 'conflict'
  | 'mismatch'
  | 'rejected'
  | 'store_unavailable';

const instruments = lazyInstruments((meter) => ({
  requests: meter.createCounter(Metric.IdempotencyRequests, {
    description: 'Requests seen by the idempotency middleware, by outcome',
    unit: '{request}',
  }),
}));

/**
 * The jurisdiction label of the outcome counter, bounded like every label taken
 * from a request; only requests that were served (executed or replayed) may
 * take a free slot, so refused ones cannot fill the slots with made-up codes.
 */
const jurisdictionLabel = createJurisdictionGuard();

/** Counts one request and stamps its outcome on the active span. Never throws. */
export function recordOutcome(outcome: IdempotencyOutcomeLabel): void {
  try {
    const served = outcome === 'executed' || outcome === 'replayed';
    const jurisdiction = jurisdictionLabel(getTenant()?.jurisdiction, served);
    instruments().requests.add(1, {
      [Attr.IdempotencyOutcome]: outcome,
      ...(jurisdiction === undefined ? {} : { [Attr.TenantJurisdiction]: jurisdiction }),
    });
    trace.getActiveSpan()?.setAttribute(Attr.IdempotencyOutcome, outcome);
  } catch {
    // Telemetry observes; it never breaks the request.
  }
}

/** Sends a recorded response again: its status, body bytes and allow-listed headers. */
export function sendReplay(res: ServerResponse, response: StoredResponse): void {
  res.setHeader('Idempotent-Replayed', 'true');
  sendStored(res, response);
}

/** Sends a stored response: its status, its headers and its exact body bytes. */
export function sendStored(res: ServerResponse, response: StoredResponse): void {
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.end(Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength));
}

/** The problem types of the middleware; the `type` URN is the stable contract. */
const PROBLEMS = {
  missing: [
    400,
    'idempotency-key-missing',
    'Idempotency key required',
    ErrorCode.IdempotencyKeyMissing,
  ],
  malformed: [
    400,
    'idempotency-key-invalid',
    'Idempotency key invalid',
    ErrorCode.IdempotencyKeyInvalid,
  ],
  multiple: [
    400,
    'idempotency-key-invalid',
    'Idempotency key invalid',
    ErrorCode.IdempotencyKeyInvalid,
  ],
  too_large: [413, 'payload-too-large', 'Request body too large', ErrorCode.PayloadTooLarge],
  conflict: [
    409,
    'idempotency-in-flight',
    'Request with this key in flight',
    ErrorCode.IdempotencyInFlight,
  ],
  mismatch: [
    422,
    'idempotency-mismatch',
    'Idempotency key reused with another request',
    ErrorCode.IdempotencyMismatch,
  ],
  store_unavailable: [
    503,
    'idempotency-store-unavailable',
    'Idempotency store unavailable',
    ErrorCode.IdempotencyStoreUnavailable,
  ],
  outcome_unknown: [
    500,
    'idempotency-outcome-unknown',
    'Outcome unknown: retry with the same key',
    ErrorCode.IdempotencyOutcomeUnknown,
  ],
  lease_lost: [
    500,
    'idempotency-lease-lost',
    'Outcome unknown: retry with the same key',
    ErrorCode.IdempotencyLeaseLost,
  ],
} as const;

/**
 * Fixed details for the problems that come from engine or store errors. The
 * error's own message names tables, hosts and drivers: internals that must
 * not reach a client, so it is never sent.
 */
export const ERROR_DETAILS: Readonly<Record<string, string>> = {
  store_unavailable: 'the request was not executed; retry with the same Idempotency-Key',
  outcome_unknown: 'the outcome could not be recorded; retry with the same Idempotency-Key',
  lease_lost: 'the outcome could not be recorded; retry with the same Idempotency-Key',
  too_large: 'the request body is larger than this endpoint accepts',
};

/** One kind of problem the middleware answers with. */
export type IdempotencyProblem = keyof typeof PROBLEMS;

/** Writes one of the middleware's problem+json answers. */
export function sendIdempotencyProblem(
  res: ServerResponse,
  problem: IdempotencyProblem,
  detail: string,
  retryAfterMs?: number,
): void {
  const [status, slug, title, code] = PROBLEMS[problem];
  if (problem === 'too_large') res.setHeader('Connection', 'close');
  sendProblem(
    res,
    { type: problemType(slug), title, status, detail, code },
    retryAfterMs === undefined ? {} : { retryAfterMs },
  );
}

/** Maps an engine error to its problem, or undefined when it is not one of the engine's. */
export function problemOfError(error: BulwarkError): IdempotencyProblem | undefined {
  if (error.code === ErrorCode.IdempotencyStoreUnavailable) return 'store_unavailable';
  if (error.code === ErrorCode.IdempotencyOutcomeUnknown) return 'outcome_unknown';
  if (error.code === ErrorCode.IdempotencyLeaseLost) return 'lease_lost';
  return undefined;
}
