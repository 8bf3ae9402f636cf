/**
 * `bulwark/fetch`: a drop-in `fetch` for money-moving calls. Resilient per
 * origin, one idempotency key per logical call, byte-identical bodies on every
 * attempt, `baggage` only to allow-listed origins.
 */
export { createFetch } from './create-fetch.js';
export type { FetchMeta } from './meta.js';
export { fetchMeta } from './meta.js';
export type { FetchOptions } from './options.js';
export { parseRetryAfter } from './retry-after.js';
