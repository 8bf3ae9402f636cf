import { hash } from 'node:crypto';

/** One field of {@link hashFields}: `undefined` means absent, never equal to empty. */
export type HashField = string | Uint8Array | undefined;

/** Frames up to this size are written into one buffer kept for reuse; larger ones get their own. */
const SCRATCH_BYTES = 8 * 1024;
let scratch = Buffer.allocUnsafeSlow(1024);
/** How many views of `scratch` are kept, one per frame length modulo this (a power of two). */
const VIEW_SLOTS = 64;
/** Views of `scratch` by frame length (see {@link scratchView}); emptied when `scratch` is replaced. */
let views: (Buffer | undefined)[] = new Array<Buffer | undefined>(VIEW_SLOTS).fill(undefined);

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
  const count = fields.length;
  for (let i = 0; i < count; i++) bound += frameBound(fields[i]);
  let frames = scratch;
  if (bound > frames.length) {
    frames =
      bound <= SCRATCH_BYTES ? Buffer.allocUnsafeSlow(SCRATCH_BYTES) : Buffer.allocUnsafe(bound);
    if (bound <= SCRATCH_BYTES) {
      scratch = frames;
      views = new Array<Buffer | undefined>(VIEW_SLOTS).fill(undefined);
    }
  }
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const field = fields[i];
    if (field === undefined) {
      frames[offset++] = 0;
      continue;
    }
    frames[offset] = 1;
    let length: number;
    if (typeof field === 'string') {
      length = writeUtf8(frames, field, offset + 5);
    } else {
      frames.set(field, offset + 5);
      length = field.byteLength;
    }
    // The 4-byte big-endian length, as writeUInt32BE wrote it, without its checks.
    frames[offset + 1] = length >>> 24;
    frames[offset + 2] = (length >>> 16) & 0xff;
    frames[offset + 3] = (length >>> 8) & 0xff;
    frames[offset + 4] = length & 0xff;
    offset += 5 + length;
  }
  return hash(
    'sha256',
    frames === scratch ? scratchView(offset) : frames.subarray(0, offset),
    'hex',
  );
}

/**
 * The first `length` bytes of `scratch`, as a view made once per length and
 * kept: `subarray` makes a Buffer object each time, and the storage key and the
 * fingerprint of every idempotent request (scenario `http-server`,
 * `benchmarks/profile/fastify-in-process.mjs --alloc`) are frames of a few
 * lengths that recur. The hash reads the bytes before it returns, so a view
 * shared between calls is never read with another call's frames.
 */
function scratchView(length: number): Buffer {
  const slot = length & (VIEW_SLOTS - 1);
  let view = views[slot];
  if (view?.length !== length) {
    view = scratch.subarray(0, length);
    views[slot] = view;
  }
  return view;
}

/** Strings up to this length are tried as ASCII, a byte per character, before UTF-8. */
const ASCII_LOOP_CHARS = 64;

/**
 * Writes `text` as UTF-8 at `at`; returns the bytes written. A short ASCII
 * string (the domain, method, route, client key and media type of every
 * request) is copied a character at a time: a call into `Buffer#write` per
 * field cost more than the copy (the http-server request's storage key and
 * fingerprint). ASCII is its own UTF-8, so the bytes are the same either way.
 */
function writeUtf8(frames: Buffer, text: string, at: number): number {
  const length = text.length;
  if (length > ASCII_LOOP_CHARS) return frames.write(text, at, 'utf8');
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return frames.write(text, at, 'utf8');
    frames[at + i] = code;
  }
  return length;
}

/** Most bytes one field's frame can take. */
function frameBound(field: HashField): number {
  if (field === undefined) return 1;
  return 5 + (typeof field === 'string' ? field.length * 3 : field.byteLength);
}
