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
  /** Extra members (for example `field`). */
  readonly [member: string]: unknown;
}

/**
 * An answer bulwark gives itself (a problem, a replay, a committed record),
 * framework-free: each adapter writes it its own way (`res.end`, `reply.send`).
 */
export interface HttpAnswer {
  /** HTTP status code. */
  readonly status: number;
  /** Headers to set, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact body bytes. */
  readonly body: Buffer;
}

/** Options of {@link problemAnswer}. */
export interface ProblemAnswerOptions {
  /** Sets `Retry-After` (whole seconds, rounded up, at least 1). */
  readonly retryAfterMs?: number | undefined;
  /** Sets `Connection: close` (the request body may be left unread). */
  readonly closeConnection?: boolean | undefined;
}

/** Builds the stable `type` URN of a problem slug. */
export function problemType(slug: string): string {
  return `urn:bulwark:problem:${slug}`;
}

/** `problem` as an `application/problem+json` answer, never cached. */
export function problemAnswer(problem: Problem, options: ProblemAnswerOptions = {}): HttpAnswer {
  const body = Buffer.from(JSON.stringify(problem));
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'content-length': String(body.byteLength),
    'cache-control': 'no-store',
  };
  if (options.retryAfterMs !== undefined) {
    headers['retry-after'] = String(retryAfterSeconds(options.retryAfterMs));
  }
  if (options.closeConnection === true) headers.connection = 'close';
  return { status: problem.status, headers, body };
}

/**
 * Writes `answer` on a Node response (Express, plain `node:http`). Does
 * nothing once headers were sent: a second head would corrupt the answer
 * that has begun.
 */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.end(answer.body);
}

/** Milliseconds to a `Retry-After` value: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
