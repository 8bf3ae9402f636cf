import { constants } from 'node:buffer';

/*
 * A stored response body kept as a one-byte string, one character per byte
 * (latin1), instead of a Uint8Array. A string is one object on V8's heap and
 * immutable; a Uint8Array is a view, an ArrayBuffer, a backing store and an
 * extension the collector sweeps. A full MemoryStore keeps thousands of bodies,
 * each promoted to the old generation and evicted later, so the fewer objects
 * each one costs, the less every collection does (`benchmarks/profile/in-process.mjs`
 * with `--alloc`; the store's claim + complete loop). Being immutable, the
 * string needs no defensive copy: only the bytes handed out are new.
 */

/** A body too long for one string (V8's limit) stays bytes, copied. */
export type PackedBytes = string | Uint8Array;

/** A private, immutable copy of `bytes`. */
export function packBytes(bytes: Uint8Array): PackedBytes {
  if (bytes.byteLength > constants.MAX_STRING_LENGTH) return new Uint8Array(bytes);
  const view = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.toString('latin1');
}

/** New bytes equal to what {@link packBytes} was given: the caller may change them freely. */
export function unpackBytes(packed: PackedBytes): Uint8Array {
  if (typeof packed !== 'string') return new Uint8Array(packed);
  const bytes = new Uint8Array(packed.length);
  Buffer.from(bytes.buffer, 0, packed.length).write(packed, 'latin1');
  return bytes;
}
