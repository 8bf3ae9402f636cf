/**
 * What the function given to `execute` receives, one per attempt.
 *
 * The signal is created only when `fn` reads it: a call that never looks at
 * its signal never pays for an `AbortController`. It aborts when the caller's
 * signal aborts, when the total deadline passes, or when this attempt times
 * out; it is never aborted after a successful attempt.
 */
export interface AttemptContext {
  /** Aborts when this attempt must stop; pass it on to `fetch`, database drivers, etc. */
  readonly signal: AbortSignal;
  /** The attempt number: 1 for the first try, 2 for the first retry, and so on. */
  readonly attempt: number;
  /**
   * Milliseconds left before the total deadline, read when asked (`Infinity`
   * with the deadline layer off): forward it downstream, e.g. as a
   * `grpc-timeout` or deadline header, so the server can give up in time too.
   */
  readonly remainingMs: number;
}

/** The per-call options of `execute`. */
export interface ExecuteOptions {
  /** The caller's signal: when it aborts, the call stops and no further attempt starts. */
  signal?: AbortSignal;
  /**
   * The downstream this call goes to (e.g. a URL origin). Selects the keyed
   * circuit breaker and retry budget, so one failing host does not open the
   * breaker for the others. Default: one breaker and budget for the pipeline.
   */
  key?: string;
  /**
   * `false` makes this call a single attempt whatever the pipeline's retry
   * options: use it for an operation that is unsafe to repeat, such as a POST
   * without an idempotency key. Default `true`.
   */
  retry?: boolean;
}
