import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HashField, hashFields } from '../../src/idempotency/hash-fields.js';

/** The framing as documented, one hasher update per piece: what every stored key was made with. */
function reference(fields: readonly HashField[]): string {
  const hasher = createHash('sha256');
  for (const field of fields) {
    if (field === undefined) {
      hasher.update(Uint8Array.of(0));
      continue;
    }
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const head = Buffer.alloc(5);
    head[0] = 1;
    head.writeUInt32BE(bytes.byteLength, 1);
    hasher.update(head);
    hasher.update(bytes);
  }
  return hasher.digest('hex');
}

describe('hashFields', () => {
  it('hashes the documented frames, whether a string is short ASCII, short and wider, or long', () => {
    const long = 'x'.repeat(300);
    const cases: HashField[][] = [
      ['bulwark.idempotency.storage-key.v1', 'acme', undefined, 'POST', '/transfers', 'key-1'],
      ['', undefined, 'é', 'caf\u00e9', '\u{1f4b8}', '\ud800', 'a'.repeat(64), 'b'.repeat(65)],
      [`${'a'.repeat(63)}é`, long, `${long}é`, Uint8Array.of(1, 2, 255), new Uint8Array()],
      ['x'.repeat(70_000), 'after a frame longer than 65 535 bytes'],
    ];
    for (const fields of cases) expect(hashFields(fields)).toBe(reference(fields));
  });

  it('hashes each call its own frames when frames of one length recur, before and after a long one', () => {
    const cases: HashField[][] = [
      ['a', 'key-1'],
      ['a', 'key-2'],
      ['b', 'key-1'],
      ['y'.repeat(2_000)],
      ['a', 'key-1'],
      ['a', 'key-3'],
    ];
    for (const fields of cases) expect(hashFields(fields)).toBe(reference(fields));
  });
});
