import { hash } from 'node:crypto';

/** One field of {@link hashFields}: `undefined` means absent, never equal to empty. */
export type HashField = string | Uint8Array | undefined;

/** Frames up to this size are written into one buffer kept for reuse; larger ones get their own. */
const SCRATCH_BYTES = 8 * 1024;
let scratch = Buffer.allocUnsafeSlow(1024);

/**
 * Hex SHA-256 over `fields`, each framed as a presence byte, a 4-byte
 * big-endian length and the bytes themselves (`undefined` is a lone 0 byte, so
 * "absent" never equals "empty"). The frames are written into one buffer and
 * hashed in one call: this runs several times on every idempotent request, and
 * a hasher fed two small updates per field cost more than the hashing itself.
 * The buffer is sized from an upper bound (3 UTF-8 bytes per UTF-16 unit)
 * rather than each string's exact length, and reused while frames are small:
 * measuring every string first, and a buffer per call, cost more than the
 * digest (the http-server benchmark). The call is synchronous, so no other
 * call can write into the buffer while it is read.
 */
export function hashFields(fields: readonly HashField[]): string {
  let bound = 0;
  for (const field of fields) bound += frameBound(field);
  let frames = scratch;
  if (bound > frames.length) {
    frames =
      bound <= SCRATCH_BYTES ? Buffer.allocUnsafeSlow(SCRATCH_BYTES) : Buffer.allocUnsafe(bound);
    if (bound <= SCRATCH_BYTES) scratch = frames;
  }
  let offset = 0;
  for (const field of fields) {
    if (field === undefined) {
      frames[offset++] = 0;
      continue;
    }
    frames[offset] = 1;
    let length: number;
    if (typeof field === 'string') {
      length = frames.write(field, offset + 5, 'utf8');
    } else {
      frames.set(field, offset + 5);
      length = field.byteLength;
    }
    frames.writeUInt32BE(length, offset + 1);
    offset += 5 + length;
  }
  return hash('sha256', frames.subarray(0, offset), 'hex');
}

/** Most bytes one field's frame can take. */
function frameBound(field: HashField): number {
  if (field === undefined) return 1;
  return 5 + (typeof field === 'string' ? field.length * 3 : field.byteLength);
}
