import type { ResilienceEvent, ResilientPipeline } from '../../src/index.js';

/** An error the transient predicate accepts (a reset connection). */
export function resetError(message = 'socket reset'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

/** An HTTP-like error as the fetch wrapper throws it, optionally with the server's delay. */
export function httpError(status: number, retryAfterMs?: number): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status, retryAfterMs });
}

/** Collects every event of a pipeline. */
export function recordEvents(pipeline: ResilientPipeline): ResilienceEvent[] {
  const events: ResilienceEvent[] = [];
  pipeline.onEvent((event) => events.push(event));
  return events;
}

/** The names of the recorded events, in order. */
export function names(events: readonly ResilienceEvent[]): string[] {
  return events.map((event) => event.name);
}

/** Keeps a rejection from being reported as unhandled while fake time advances. */
export function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** A promise that never settles, standing for a hung downstream. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}
