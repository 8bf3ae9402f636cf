import { constants } from 'node:buffer';
import type { StoredResponse } from './store.js';

/*
 * A MemoryStore's responses, kept as one string each: status, headers and
 * body bytes in one character per byte (latin1). A string is one object on
 * V8's heap, and immutable. The response as handed in was a response object,
 * a headers object with its value strings, and a Uint8Array (a view, an
 * ArrayBuffer, a backing store and an extension the collector sweeps). A full
 * store keeps thousands of responses, each promoted to the old generation and
 * evicted later, so every object fewer is less work for each collection (the
 * http-server benchmark: a fresh key per POST, the store full and evicting).
 * Being immutable, the string needs no defensive copy: only what is unpacked
 * is new, so no caller can change a stored response after the fact.
 *
 * The string reads: the status, then per header `,`, the name's length, `:`,
 * the name, the value's length, `:`, the value; then `;` and the body bytes
 * (lengths in decimal, in characters). A response whose
 * headers are not all one-byte strings, or too large to pack in the scratch
 * buffer, is kept as a {@link CopiedResponse} instead.
 */

/** A response kept as copies: headers in their own object, the body as a string when it fits one. */
export interface CopiedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** A stored response: packed in one string, or copied. */
export type PackedResponse = string | CopiedResponse;

const COMMA = 0x2c;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
/** A character outside latin1: a string holding one does not pack one character per byte. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is every latin1 character, control ones included.
const WIDE = /[^\u0000-\u00ff]/;
/** Responses up to this size are packed through one buffer kept for reuse; larger ones are copied. */
const SCRATCH_BYTES = 16 * 1024;
let scratch: Buffer | undefined;

/** A private, immutable form of `response`. */
export function packResponse(response: StoredResponse): PackedResponse {
  const { status, headers, body } = response;
  if (!Number.isSafeInteger(status) || status < 0) return copied(response);
  scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  // Written straight into the buffer, piece by piece: a head built as a string
  // first was several short-lived strings per response, more garbage than the
  // objects packing saves.
  let at = writeDecimal(scratch, 0, status);
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    // `__proto__` would not read back as an own header from `headers[name] = value`.
    if (typeof value !== 'string' || name === '__proto__') return copied(response);
    // 24 bytes: the separators and two lengths of up to 10 digits.
    if (at + name.length + value.length + 24 > SCRATCH_BYTES) return copied(response);
    if (WIDE.test(name) || WIDE.test(value)) return copied(response);
    scratch[at++] = COMMA;
    at = writeDecimal(scratch, at, name.length);
    scratch[at++] = COLON;
    at += scratch.write(name, at, 'latin1');
    at = writeDecimal(scratch, at, value.length);
    scratch[at++] = COLON;
    at += scratch.write(value, at, 'latin1');
  }
  if (at + 1 + body.byteLength > SCRATCH_BYTES) return copied(response);
  scratch[at++] = SEMICOLON;
  scratch.set(body, at);
  return scratch.toString('latin1', 0, at + body.byteLength);
}

/** Writes the decimal digits of `n` (a safe non-negative integer) at `at`; returns the end. */
function writeDecimal(buffer: Buffer, at: number, n: number): number {
  let digits = 1;
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  for (let i = at + digits - 1, rest = n; i >= at; i--, rest = Math.floor(rest / 10)) {
    buffer[i] = 0x30 + (rest % 10);
  }
  return at + digits;
}

/** A new response equal to what {@link packResponse} was given: the caller may change it freely. */
export function unpackResponse(packed: PackedResponse): StoredResponse {
  if (typeof packed !== 'string') {
    return { status: packed.status, headers: { ...packed.headers }, body: bytesOf(packed.body) };
  }
  let at = 0;
  while (packed.charCodeAt(at) !== COMMA && packed.charCodeAt(at) !== SEMICOLON) at += 1;
  const status = Number(packed.slice(0, at));
  const headers: Record<string, string> = {};
  while (packed.charCodeAt(at) === COMMA) {
    const nameAt = packed.indexOf(':', at) + 1;
    const nameEnd = nameAt + Number(packed.slice(at + 1, nameAt - 1));
    const valueAt = packed.indexOf(':', nameEnd) + 1;
    const valueEnd = valueAt + Number(packed.slice(nameEnd, valueAt - 1));
    headers[packed.slice(nameAt, nameEnd)] = packed.slice(valueAt, valueEnd);
    at = valueEnd;
  }
  return { status, headers, body: bytesOf(packed, at + 1) };
}

function copied(response: StoredResponse): CopiedResponse {
  const { body } = response;
  const view = Buffer.isBuffer(body)
    ? body
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return {
    status: response.status,
    headers: { ...response.headers },
    body:
      body.byteLength > constants.MAX_STRING_LENGTH
        ? new Uint8Array(body)
        : view.toString('latin1'),
  };
}

/** New bytes of `body` (from character `from`, when a string). */
function bytesOf(body: string | Uint8Array, from = 0): Uint8Array {
  if (typeof body !== 'string') return new Uint8Array(body);
  const bytes = new Uint8Array(body.length - from);
  Buffer.from(bytes.buffer).write(from === 0 ? body : body.slice(from), 'latin1');
  return bytes;
}
