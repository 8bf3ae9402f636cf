/** What bulwark's fetch did for one logical call, readable from its `Response`. */
export interface FetchMeta {
  /** The `Idempotency-Key` sent on every attempt, or `undefined` when none was sent. */
  readonly idempotencyKey: string | undefined;
  /** True when the server answered `Idempotent-Replayed: true` (a stored response was replayed). */
  readonly replayed: boolean;
  /** How many attempts were sent (1 when the first one answered). */
  readonly attempts: number;
  /** True when the body was too large to buffer, so the call ran once without retries. */
  readonly bodyNotReplayable: boolean;
}

/**
 * Where the meta lives: a private symbol property on the response itself.
 * Not a WeakMap: every response entering a WeakMap becomes an ephemeron the
 * garbage collector must trace specially (on loopback the mean call took
 * 7-13 µs longer with it, interleaved runs, mostly in GC pauses); a symbol
 * property dies with its response at no extra cost and stays invisible to
 * `Object.keys` and JSON.
 */
const META = Symbol('bulwark.fetchMeta');

/**
 * What a call records on its response. `replayed` is read from the response
 * headers when {@link fetchMeta} is first asked, not on every call: a header
 * look-up per response was a measurable part of `createFetch()`'s cost per
 * call, and most callers never ask (`benchmarks/scenarios/http-client.mjs`).
 */
class CallRecord {
  constructor(
    readonly idempotencyKey: string | undefined,
    readonly attempts: number,
    readonly bodyNotReplayable: boolean,
  ) {}
}

type WithMeta = Response & { [META]?: FetchMeta | CallRecord };

/** Records what the call did on `response`, where only {@link fetchMeta} reads it. */
export function attachMeta(
  response: Response,
  idempotencyKey: string | undefined,
  attempts: number,
  bodyNotReplayable: boolean,
): Response {
  (response as WithMeta)[META] = new CallRecord(idempotencyKey, attempts, bodyNotReplayable);
  return response;
}

/**
 * What bulwark's fetch did for the call that produced `response`: the key it
 * used, whether the server replayed, how many attempts it took. `undefined`
 * for a response that did not come from a `createFetch()` function.
 *
 * @example
 * const res = await bankFetch(url, { method: 'POST', body });
 * const { idempotencyKey, replayed } = fetchMeta(res) ?? {};
 */
export function fetchMeta(response: Response): FetchMeta | undefined {
  const recorded = (response as WithMeta)[META];
  if (!(recorded instanceof CallRecord)) return recorded;
  const meta: FetchMeta = {
    idempotencyKey: recorded.idempotencyKey,
    attempts: recorded.attempts,
    bodyNotReplayable: recorded.bodyNotReplayable,
    replayed: response.headers.get('idempotent-replayed')?.toLowerCase() === 'true',
  };
  (response as WithMeta)[META] = meta;
  return meta;
}
