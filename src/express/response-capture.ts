import type { ServerResponse } from 'node:http';
import { type Interception, type Interceptor, intercept } from './response-prototype-patch.js';

/**
 * How the handler's answer ended:
 * - `complete`: buffered in full; nothing has reached the client yet;
 * - `streamed`: too big to buffer, or a stream (`text/event-stream`,
 *   `flushHeaders()`), so it was passed through and can never be replayed;
 * - `aborted`: the handler destroyed the response (`errorHandler()` does so
 *   for an answer that an error cut short), or the answer was discarded.
 */
export type CaptureResult =
  | { readonly kind: 'complete'; readonly status: number; readonly body: Buffer }
  | { readonly kind: 'streamed' }
  | { readonly kind: 'aborted' };

/** A response being captured (see {@link captureResponse}). */
export interface ResponseCapture {
  /**
   * Sends the buffered answer, exactly as the handler wrote it: its status and
   * headers as they were when it started answering. `prepare` runs just before,
   * with `res` writable again (to swap in recorded headers).
   */
  flush(prepare?: () => void): void;
  /** Drops the buffered answer and every header the handler set, so an error can be sent instead. */
  discard(): void;
}

/**
 * Buffers everything a handler writes (`res.json`, `res.send`, `res.redirect`,
 * `res.sendFile`, `res.writeHead`, `res.write` + `res.end`, `res.end(buffer)`)
 * until {@link ResponseCapture.flush}, so the response can be recorded before
 * any byte reaches the client. Headers stay on `res` (set through
 * `setHeader`); only the bytes are held.
 *
 * While it holds them, `res` behaves as if they had gone out: once the handler
 * starts answering, `headersSent` is true and changing headers throws
 * `ERR_HTTP_HEADERS_SENT`, as Node does; once it has ended, `writableEnded` is
 * true. So an error raised after the answer sees an answer already started, as
 * it would without the capture, and never writes a second head over it.
 *
 * It waits for the handler however long it takes, whether or not the client
 * is still connected: the engine renews the lease meanwhile, and the answer
 * recorded when the handler ends is what the client's retry replays. Giving up
 * earlier (it once did, one lease after the client left) released the key
 * while the handler still ran, and the retry executed the operation twice.
 *
 * `onEnd` is called once, as the handler's answer ends (inside its
 * `res.end()` when it is held in full), and may flush it from there. It is a
 * callback rather than a promise so that the answer can be recorded and sent
 * in that same call (the http-server benchmark).
 */
export function captureResponse(
  res: ServerResponse,
  maxBytes: number,
  onEnd: (result: CaptureResult) => void,
): ResponseCapture {
  return new Capture(res, maxBytes, onEnd);
}

/**
 * A small state machine (buffer → ended | stream | over), longer than most
 * files here because every way of writing a response passes through it; one
 * object per request, its methods shared, because this runs on every
 * idempotent request.
 */
class Capture implements ResponseCapture, Interceptor {
  readonly #res: ServerResponse;
  readonly #maxBytes: number;
  readonly #interception: Interception;
  /**
   * The held bytes: the first chunk alone, and an array only from a second
   * one. The usual answer is one chunk (`res.json()`, `res.send()`), and an
   * array pushed to once reserved room for many (the http-server benchmark).
   */
  #first: Buffer | undefined;
  #more: Buffer[] | undefined;
  #size = 0;
  #mode: 'buffer' | 'ended' | 'stream' | 'over' = 'buffer';
  /** Whether the handler has started answering: its head is then fixed as below. */
  #started = false;
  /** The head as it would have been sent (status and message), in fields rather than an object of its own. */
  #headStatus = 0;
  #headMessage: string | undefined;
  #endCallback: unknown;
  readonly #onEnd: (result: CaptureResult) => void;

  constructor(res: ServerResponse, maxBytes: number, onEnd: (result: CaptureResult) => void) {
    this.#res = res;
    this.#maxBytes = maxBytes;
    this.#onEnd = onEnd;
    this.#interception = intercept(res, this);
  }

  headersSent(): boolean {
    return this.#started;
  }

  writableEnded(): boolean {
    return this.#mode === 'ended';
  }

  writeHead(status: unknown, second: unknown, third: unknown, count: number): ServerResponse {
    if (this.#started) {
      // `res._implicitHeader()` again, from code that tests `res._header` (compression
      // does, before each write), which a capture never sets: it changes nothing.
      if (count === 1 && Number(status) === this.#headStatus) return this.#res;
      throw headersSentError('write');
    }
    applyWriteHead(this.#res, this.#interception.real.setHeader, status, second, third);
    this.#start();
    return this.#res;
  }

  setHeader(name: unknown, value: unknown): unknown {
    if (this.#started) throw headersSentError('set');
    return this.#interception.real.setHeader.call(this.#res, name, value);
  }

  appendHeader(name: unknown, value: unknown): unknown {
    if (this.#started) throw headersSentError('append');
    return this.#interception.real.appendHeader.call(this.#res, name, value);
  }

  removeHeader(name: unknown): unknown {
    if (this.#started) throw headersSentError('remove');
    return this.#interception.real.removeHeader.call(this.#res, name);
  }

  write(chunk: unknown, encoding: unknown, callback: unknown): boolean {
    if (this.#mode !== 'buffer') return false;
    this.#start();
    this.#append(chunk, encoding);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    if (this.#size > this.#maxBytes || this.#isEventStream()) this.#switchToStream();
    return true;
  }

  end(chunk: unknown, encoding: unknown, callback: unknown): ServerResponse {
    const res = this.#res;
    if (this.#mode !== 'buffer') return res;
    const status = this.#start();
    this.#append(chunk, encoding);
    this.#endCallback = endCallbackOf(chunk, encoding, callback);
    if (this.#size > this.#maxBytes) {
      this.#switchToStream();
      this.#interception.real.end.call(res, this.#endCallback);
      return res;
    }
    this.#mode = 'ended';
    this.#onEnd({ kind: 'complete', status, body: this.#body() });
    return res;
  }

  flushHeaders(): void {
    if (this.#mode === 'buffer') this.#switchToStream();
    this.#interception.real.flushHeaders.call(this.#res);
  }

  destroy(error: unknown): unknown {
    if (this.#mode === 'buffer') this.#finish({ kind: 'aborted' });
    return this.#interception.real.destroy.call(this.#res, error);
  }

  flush(prepare?: () => void): void {
    if (this.#mode !== 'ended') return;
    // `onEnd` heard when the handler ended: this only hands the methods back.
    this.#finish(undefined);
    this.#restoreHead();
    prepare?.();
    this.#interception.real.end.call(this.#res, this.#body(), this.#endCallback);
  }

  discard(): void {
    const res = this.#res;
    this.#finish({ kind: 'aborted' });
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.statusMessage = '';
  }

  /** The handler starts answering: from here on its head is what goes out. Returns its status. */
  #start(): number {
    if (!this.#started) {
      this.#started = true;
      this.#headStatus = this.#res.statusCode;
      this.#headMessage = this.#res.statusMessage;
    }
    return this.#headStatus;
  }

  /** Puts back the status an error handler may have changed after the answer started. */
  #restoreHead(): void {
    if (!this.#started) return;
    // Written only when changed: the usual answer keeps its head, and a store
    // into a response is not free (the http-server benchmark).
    const res = this.#res;
    const status = this.#headStatus;
    const message = this.#headMessage;
    if (res.statusCode !== status) res.statusCode = status;
    if (message !== undefined && res.statusMessage !== message) res.statusMessage = message;
  }

  #finish(result: CaptureResult | undefined): void {
    if (this.#mode === 'over') return;
    if (this.#mode !== 'stream') this.#interception.restore();
    this.#mode = 'over';
    if (result !== undefined) this.#onEnd(result);
  }

  /**
   * The held bytes as one Buffer: the handler's own when it wrote one chunk
   * (the usual `res.json()` / `res.send()`), so the answer is not copied on
   * its way to the store and again to the socket (the http-server benchmark).
   */
  #body(): Buffer {
    const first = this.#first;
    if (first === undefined) return EMPTY;
    const more = this.#more;
    return more === undefined ? first : Buffer.concat([first, ...more]);
  }

  #append(chunk: unknown, encoding: unknown): void {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
    if (this.#first === undefined) this.#first = bytes;
    else if (this.#more === undefined) this.#more = [bytes];
    else this.#more.push(bytes);
    this.#size += bytes.byteLength;
  }

  /** Hands the held chunks over, in order, and holds none from then on. */
  #takeChunks(): Buffer[] {
    const first = this.#first;
    const chunks = first === undefined ? [] : [first, ...(this.#more ?? [])];
    this.#first = undefined;
    this.#more = undefined;
    return chunks;
  }

  #switchToStream(): void {
    const res = this.#res;
    this.#mode = 'stream';
    this.#interception.restore();
    this.#restoreHead();
    res.once('close', () => this.#finish({ kind: 'streamed' }));
    for (const chunk of this.#takeChunks()) this.#interception.real.write.call(res, chunk);
  }

  #isEventStream(): boolean {
    return String(this.#res.getHeader('content-type') ?? '').startsWith('text/event-stream');
  }
}

/** The body of an answer that wrote no bytes; never written to (a Buffer of length 0 has no bytes to change). */
const EMPTY = Buffer.alloc(0);

/** The callback of `end([chunk], [encoding], [callback])`, wherever it was passed. */
function endCallbackOf(chunk: unknown, encoding: unknown, callback: unknown): unknown {
  if (typeof callback === 'function') return callback;
  if (typeof encoding === 'function') return encoding;
  return typeof chunk === 'function' ? chunk : undefined;
}

/*
 * What a capture needs to hold a response without sending it: the bytes of
 * each write, the head applied to `res` without rendering it, and the error
 * Node raises when a head that counts as sent is changed.
 */

/** The error Node throws when a head is changed after it was sent (`ERR_HTTP_HEADERS_SENT`). */
function headersSentError(operation: 'write' | 'set' | 'append' | 'remove'): Error {
  const message = `Cannot ${operation} headers after they are sent to the client`;
  return Object.assign(new Error(message), { code: 'ERR_HTTP_HEADERS_SENT' });
}

/** One written chunk as bytes (a string in its encoding, default UTF-8); a Buffer is kept as it is, not copied. */
function toBuffer(chunk: unknown, encoding: string | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, (encoding ?? 'utf8') as BufferEncoding);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('response chunks must be strings, Buffers or Uint8Arrays');
}

/** Applies `writeHead(status, [reason], [headers])` to `res` (through the real `setHeader`) without sending anything. */
function applyWriteHead(
  res: ServerResponse,
  setHeader: (this: ServerResponse, ...args: unknown[]) => unknown,
  status: unknown,
  second: unknown,
  third: unknown,
): void {
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
