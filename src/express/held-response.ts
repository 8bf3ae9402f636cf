import type { ServerResponse } from 'node:http';

/*
 * What a capture needs to hold a response without sending it: the bytes of
 * each write, the head applied to `res` without rendering it, and the error
 * Node raises when a head that counts as sent is changed.
 */

/** The error Node throws when a head is changed after it was sent (`ERR_HTTP_HEADERS_SENT`). */
export function headersSentError(operation: 'write' | 'set' | 'append' | 'remove'): Error {
  const message = `Cannot ${operation} headers after they are sent to the client`;
  return Object.assign(new Error(message), { code: 'ERR_HTTP_HEADERS_SENT' });
}

/** One written chunk as bytes (a string in its encoding, default UTF-8); a Buffer is kept as it is, not copied. */
export function toBuffer(chunk: unknown, encoding: string | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, (encoding ?? 'utf8') as BufferEncoding);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('response chunks must be strings, Buffers or Uint8Arrays');
}

/** Applies `writeHead(status, [reason], [headers])` to `res` (through the real `setHeader`) without sending anything. */
export function applyWriteHead(
  res: ServerResponse,
  setHeader: (this: ServerResponse, ...args: unknown[]) => unknown,
  args: unknown[],
): void {
  const [status, second, third] = args;
  res.statusCode = Number(status);
  let headers = third;
  if (typeof second === 'string') res.statusMessage = second;
  else headers = second;
  if (Array.isArray(headers)) {
    const pairs: unknown[][] = Array.isArray(headers[0])
      ? (headers as unknown[][])
      : headers.flatMap((_, i) => (i % 2 === 0 ? [[headers[i], headers[i + 1]]] : []));
    for (const [name, value] of pairs) setHeader.call(res, String(name), value);
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) setHeader.call(res, name, value);
    }
  }
}
