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

const metaByResponse = new WeakMap<Response, FetchMeta>();

/** Records `meta` for `response`; the WeakMap lets the response be collected as usual. */
export function attachMeta(response: Response, meta: FetchMeta): Response {
  metaByResponse.set(response, meta);
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
  return metaByResponse.get(response);
}
