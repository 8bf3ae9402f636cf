import type { ServerResponse } from 'node:http';

/**
 * How the handler's answer ended:
 * - `complete`: buffered in full; nothing has reached the client yet;
 * - `streamed`: too big to buffer, or a stream (`text/event-stream`,
 *   `flushHeaders()`), so it was passed through and can never be replayed;
 * - `aborted`: the handler destroyed the response, or never answered within
 *   `abandonAfterMs` of the client going away.
 */
export type CaptureResult =
  | { readonly kind: 'complete'; readonly status: number; readonly body: Buffer }
  | { readonly kind: 'streamed' }
  | { readonly kind: 'aborted' };

/** A response being captured. */
export interface ResponseCapture {
  /** Settles when the handler has answered (see {@link CaptureResult}). */
  readonly done: Promise<CaptureResult>;
  /** Sends the buffered answer, exactly as the handler wrote it. */
  flush(): void;
  /** Drops the buffered answer and every header the handler set, so an error can be sent instead. */
  discard(): void;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Buffers everything a handler writes (`res.json`, `res.send`, `res.redirect`,
 * `res.sendFile`, `res.writeHead`, `res.write` + `res.end`, `res.end(buffer)`)
 * until {@link ResponseCapture.flush}, so the response can be recorded before
 * any byte reaches the client. Headers stay on `res` (set through
 * `setHeader`); only the bytes are held.
 *
 * This is a small state machine (buffer → done | stream | aborted), which is
 * why the file is one function with its transitions side by side.
 */
export function captureResponse(
  res: ServerResponse,
  maxBytes: number,
  abandonAfterMs: number,
): ResponseCapture {
  const original = {
    writeHead: res.writeHead as Method,
    write: res.write as Method,
    end: res.end as Method,
    flushHeaders: res.flushHeaders as Method,
    destroy: res.destroy as Method,
  };
  const chunks: Buffer[] = [];
  let size = 0;
  let mode: 'buffer' | 'ended' | 'stream' | 'over' = 'buffer';
  let endCallback: unknown;
  let settle: (result: CaptureResult) => void = () => {};
  const done = new Promise<CaptureResult>((resolve) => {
    settle = resolve;
  });

  const restore = (): void => {
    Object.assign(res, original);
  };
  const finish = (result: CaptureResult): void => {
    if (mode === 'over') return;
    if (mode !== 'stream') restore();
    mode = 'over';
    settle(result);
  };
  const append = (chunk: unknown, encoding: unknown): void => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const bytes = toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
    chunks.push(bytes);
    size += bytes.byteLength;
  };
  const switchToStream = (): void => {
    mode = 'stream';
    restore();
    res.once('close', () => finish({ kind: 'streamed' }));
    for (const chunk of chunks.splice(0)) original.write.call(res, chunk);
  };
  const isEventStream = (): boolean =>
    String(res.getHeader('content-type') ?? '').startsWith('text/event-stream');

  res.writeHead = function capturedWriteHead(...args: unknown[]) {
    applyWriteHead(res, args);
    return res;
  } as typeof res.writeHead;
  res.write = function capturedWrite(chunk: unknown, encoding?: unknown, callback?: unknown) {
    if (mode !== 'buffer') return false;
    append(chunk, encoding);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    if (size > maxBytes || isEventStream()) switchToStream();
    return true;
  } as typeof res.write;
  res.end = function capturedEnd(chunk?: unknown, encoding?: unknown, callback?: unknown) {
    if (mode !== 'buffer') return res;
    append(chunk, encoding);
    endCallback = [chunk, encoding, callback].find((arg) => typeof arg === 'function');
    if (size > maxBytes) {
      switchToStream();
      original.end.call(res, endCallback);
      return res;
    }
    mode = 'ended';
    settle({ kind: 'complete', status: res.statusCode, body: Buffer.concat(chunks) });
    return res;
  } as typeof res.end;
  res.flushHeaders = function capturedFlushHeaders() {
    if (mode === 'buffer') switchToStream();
    original.flushHeaders.call(res);
  };
  res.destroy = function capturedDestroy(error?: Error) {
    if (mode === 'buffer') finish({ kind: 'aborted' });
    return original.destroy.call(res, error) as ServerResponse;
  } as typeof res.destroy;

  res.once('close', () => {
    if (mode !== 'buffer') return;
    // The client left. The handler usually still answers (and that answer is
    // recorded, so the client's retry replays it); give up only after a bound.
    const timer = setTimeout(() => finish({ kind: 'aborted' }), abandonAfterMs);
    timer.unref();
    void done.then(() => clearTimeout(timer));
  });

  return {
    done,
    flush() {
      if (mode !== 'ended') return;
      finish({ kind: 'complete', status: res.statusCode, body: Buffer.alloc(0) });
      original.end.call(res, Buffer.concat(chunks), endCallback);
    },
    discard() {
      finish({ kind: 'aborted' });
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.statusMessage = '';
    },
  };
}

function toBuffer(chunk: unknown, encoding: string | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, (encoding ?? 'utf8') as BufferEncoding);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  throw new TypeError('response chunks must be strings, Buffers or Uint8Arrays');
}

/** Applies `writeHead(status, [reason], [headers])` to `res` without sending anything. */
function applyWriteHead(res: ServerResponse, args: unknown[]): void {
  const [status, second, third] = args;
  res.statusCode = Number(status);
  let headers = third;
  if (typeof second === 'string') res.statusMessage = second;
  else headers = second;
  if (Array.isArray(headers)) {
    const pairs: unknown[][] = Array.isArray(headers[0])
      ? (headers as unknown[][])
      : headers.flatMap((_, i) => (i % 2 === 0 ? [[headers[i], headers[i + 1]]] : []));
    for (const [name, value] of pairs) res.setHeader(String(name), value as string);
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined) res.setHeader(name, value as string);
    }
  }
}
