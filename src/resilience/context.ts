import { now } from './clock.js';

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

/** The attempt context handed to `fn`; see {@link AttemptContext}. */
export class Attempt implements AttemptContext {
  private controller: AbortController | undefined;
  /** Why this attempt was stopped, once it was. */
  failure: unknown;
  /** Rejects the attempt's race promise, while it is pending. */
  reject: ((error: unknown) => void) | undefined;

  constructor(
    readonly attempt: number,
    private readonly deadlineAt: number,
  ) {}

  get remainingMs(): number {
    return Math.max(0, this.deadlineAt - now());
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.failure !== undefined) this.controller.abort(this.failure);
    }
    return this.controller.signal;
  }

  /** Stops this attempt: aborts its signal (if anyone read it) and rejects its race. */
  fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.controller?.abort(error);
    const reject = this.reject;
    this.reject = undefined;
    reject?.(error);
  }
}
