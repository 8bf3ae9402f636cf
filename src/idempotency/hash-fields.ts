import { hash } from 'node:crypto';

/** One field of {@link hashFields}: `undefined` means absent, never equal to empty. */
export type HashField = string | Uint8Array | undefined;

/**
 * Hex SHA-256 over `fields`, each framed as a presence byte, a 4-byte
 * big-endian length and the bytes themselves (`undefined` is a lone 0 byte, so
 * "absent" never equals "empty"). The frames are written into one buffer and
 * hashed in one call: this runs on every idempotent request, and a hasher fed
 * two small updates per field cost more than the hashing itself.
 */
export function hashFields(fields: readonly HashField[]): string {
  let size = 0;
  for (const field of fields) size += frameSize(field);
  const frames = Buffer.allocUnsafe(size);
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
  return hash('sha256', frames, 'hex');
}

function frameSize(field: HashField): number {
  if (field === undefined) return 1;
  return 5 + (typeof field === 'string' ? Buffer.byteLength(field, 'utf8') : field.byteLength);
}
