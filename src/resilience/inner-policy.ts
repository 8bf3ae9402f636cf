import type { IPolicy } from 'cockatiel';
import type { Attempt } from './call.js';
import type { AttemptContext } from './context.js';

/** The user's function. */
export type Task<T> = (context: AttemptContext) => PromiseLike<T> | T;

/**
 * Runs one attempt of `task` inside an application's own cockatiel policy
 * (`resilient(name, { inner })`): the policy sees the attempt's signal, and
 * the task still receives bulwark's attempt number and remaining deadline.
 */
export function runInside<T>(inner: IPolicy, task: Task<T>, attempt: Attempt): Promise<T> {
  return inner.execute(
    (context) =>
      task({
        signal: context.signal,
        attempt: attempt.attempt,
        get remainingMs() {
          return attempt.remainingMs;
        },
      }),
    attempt.signal,
  );
}
