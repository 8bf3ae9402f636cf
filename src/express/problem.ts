import type { ServerResponse } from 'node:http';

/**
 * Problem details (RFC 9457) as bulwark writes them: a stable `type` URN per
 * kind of problem, so clients branch on `type`, never on `title` or `detail`.
 */
export interface Problem {
  /** Stable identifier, `urn:bulwark:problem:<slug>`. */
  readonly type: string;
  /** Short human summary, the same for every occurrence of this type. */
  readonly title: string;
  /** HTTP status code. */
  readonly status: number;
  /** Human explanation of this occurrence. Never holds stack traces or internals. */
  readonly detail?: string;
  /** The bulwark error code, when one applies. */
  readonly code?: string;
  /** Extra members (for example `field` or `retryAfterSeconds`). */
  readonly [member: string]: unknown;
}

/** Builds the stable `type` URN of a problem slug. */
export function problemType(slug: string): string {
  return `urn:bulwark:problem:${slug}`;
}

/** Options for {@link sendProblem}. */
export interface SendProblemOptions {
  /** Sets `Retry-After` (whole seconds, rounded up, at least 1). */
  retryAfterMs?: number;
}

/**
 * Writes `problem` as `application/problem+json`. Works on a bare
 * `http.ServerResponse`, so it serves Express and plain `node:http` alike.
 * Does nothing if the headers were already sent (the connection is then
 * destroyed by the caller's framework, not by us).
 */
export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  options: SendProblemOptions = {},
): void {
  if (res.headersSent) return;
  const body = JSON.stringify(problem);
  res.statusCode = problem.status;
  res.setHeader('Content-Type', 'application/problem+json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  if (options.retryAfterMs !== undefined) {
    res.setHeader('Retry-After', String(retryAfterSeconds(options.retryAfterMs)));
  }
  res.end(body);
}

/** Milliseconds to a `Retry-After` value: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
