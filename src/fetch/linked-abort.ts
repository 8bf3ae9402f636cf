/**
 * An abort signal of bulwark's own, handed to `fetch` in place of the
 * attempt's: it aborts when the attempt's does (timeout, deadline, caller),
 * and it outlives the attempt, so the limit on the response body can still
 * abort the exchange once the pipeline has finished. `fetch` then rejects
 * every body read with the abort reason (WHATWG Fetch: abort after the
 * response errors its body with the reason) and drops the connection.
 */
export class LinkedAbort implements EventListenerObject {
  readonly controller = new AbortController();

  constructor(private readonly attemptSignal: AbortSignal) {
    if (attemptSignal.aborted) this.controller.abort(attemptSignal.reason);
    else attemptSignal.addEventListener('abort', this);
  }

  /** The signal to give `fetch`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The attempt's signal aborted. */
  handleEvent(): void {
    this.controller.abort(this.attemptSignal.reason);
  }

  /** The attempt is over: stop following its signal (which is never aborted after success). */
  unlink(): void {
    this.attemptSignal.removeEventListener('abort', this);
  }
}
