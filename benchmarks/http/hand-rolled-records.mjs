/**
 * What both hand-rolled yardsticks (`express-hand-rolled.mjs`,
 * `fastify-hand-rolled.mjs`) keep their idempotency records in: a Map bounded
 * to the newest {@link MAX_RECORDS} keys, the oldest dropped first, and the
 * SHA-256 they hash keys and bodies with.
 *
 * The oldest key is found through a ring of the keys in insertion order, not
 * with `map.delete(map.keys().next().value)`: a Map keeps deleted entries as
 * holes at its front until it is rehashed, and iterating from the start walks
 * over them, about 5 µs per eviction at 10,000 records on Node 22. A yardstick
 * paying that would flatter whatever is measured against it.
 */
import { createHash } from 'node:crypto';

/** How many records a yardstick keeps. */
export const MAX_RECORDS = 10_000;

/** Hex SHA-256 of `text`, as a service would write it. */
export function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

/** A Map of records keeping the newest {@link MAX_RECORDS}: `get(key)`, and `add(key, record)` for a new key. */
export function boundedRecords() {
  const records = new Map();
  const ring = new Array(MAX_RECORDS).fill(undefined);
  let next = 0;
  return {
    get: (key) => records.get(key),
    add(key, record) {
      const oldest = ring[next];
      if (oldest !== undefined) records.delete(oldest);
      ring[next] = key;
      next = (next + 1) % MAX_RECORDS;
      records.set(key, record);
    },
  };
}
