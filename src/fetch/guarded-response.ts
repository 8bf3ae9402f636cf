import type { Exchange } from './exchange.js';
import type { Limit } from './limit.js';

/**
 * Keeps the response body under the call's deadline and the caller's signal.
 * `fetch` resolves at the response head and the pipeline's timers end there:
 * without this, a server that sends headers and then stalls leaves
 * `res.text()` pending for good. The limit cancels the exchange (see
 * exchange.ts), so `fetch` itself fails the read and drops the connection; the body is never re-streamed.
 *
 * What this file adds is the other end: knowing when the body is done, so the
 * limit is released at once and a finished call holds no timer, no listener
 * and no reference to the response. The response keeps its own object (url,
 * `redirected`, `clone()` and every internal stay native); only its prototype
 * is swapped for one whose body readers release the limit when they settle,
 * and whose `body` getter hands out a pass-through stream that does the same.
 * A body read some other way (a clone only) keeps the limit until it fires,
 * which then only drops a finished connection.
 */

const LIMIT = Symbol('bulwark.bodyLimit');
const STREAM = Symbol('bulwark.bodyStream');

type Guarded = Response & {
  [LIMIT]?: Limit;
  [STREAM]?: ReadableStream<Uint8Array> | null;
};

type Reader = (this: Response, ...args: unknown[]) => Promise<unknown>;

const proto = Response.prototype as unknown as Record<string, unknown>;
const nativeBody = Object.getOwnPropertyDescriptor(Response.prototype, 'body')?.get;
const guardedPrototype: object = Object.create(Response.prototype);

// Every body reader of this runtime's Response (`bytes()` exists from Node 22).
for (const name of ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text']) {
  const read = proto[name];
  if (typeof read !== 'function') continue;
  Object.defineProperty(guardedPrototype, name, {
    configurable: true,
    writable: true,
    value: {
      // A method, named as the native one, so stack traces read the same.
      [name](this: Guarded, ...args: unknown[]) {
        return guardedRead(this, read as Reader, args);
      },
    }[name],
  });
}

Object.defineProperty(guardedPrototype, 'body', {
  configurable: true,
  get(this: Guarded) {
    let stream = this[STREAM];
    if (stream === undefined) {
      const source = nativeBody?.call(this) as ReadableStream<Uint8Array> | null;
      stream = source === null ? null : passThrough(source, this[LIMIT]);
      this[STREAM] = stream;
    }
    return stream;
  },
});

/**
 * Bounds the body of `response` by `limit`, which cancels `exchange` (the
 * one the response was fetched through) when it fires. Returns `response`.
 */
export function guardResponse(response: Response, limit: Limit, exchange: Exchange): Response {
  if (response.body === null || limit.unbounded) return response;
  limit.arm((error) => exchange.cancel(error));
  const guarded = response as Guarded;
  guarded[LIMIT] = limit;
  Object.setPrototypeOf(guarded, guardedPrototype);
  return guarded;
}

/**
 * Reads the body with the native `read`, releasing the response's limit once
 * the read settles. Once the limit has fired, the read fails with its typed
 * error: how `fetch` reports an aborted body varies (the abort reason while a
 * read is pending, a bare `AbortError` for a read started after it).
 */
function guardedRead(response: Guarded, read: Reader, args: unknown[]): Promise<unknown> {
  const limit = response[LIMIT];
  if (limit === undefined) return read.apply(response, args);
  if (limit.failure !== undefined) return Promise.reject(limit.failure);
  return read.apply(response, args).then(
    (value) => {
      limit.release();
      return value;
    },
    (error: unknown) => {
      limit.release();
      throw limit.failure ?? error;
    },
  );
}

/**
 * The stream `res.body` returns: the native body, chunk for chunk, releasing
 * `limit` when it ends, fails or is cancelled. It takes the native reader
 * only on the first read, so `res.body` alone does not lock the body.
 */
function passThrough(
  source: ReadableStream<Uint8Array>,
  limit: Limit | undefined,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (limit?.failure !== undefined) throw limit.failure;
          reader ??= source.getReader();
          const next = await reader.read();
          // A body cut by the limit may read as "done": it is not complete.
          if (limit?.failure !== undefined) throw limit.failure;
          if (next.done) {
            limit?.release();
            controller.close();
          } else controller.enqueue(next.value);
        } catch (error) {
          limit?.release();
          controller.error(limit?.failure ?? error);
        }
      },
      cancel(reason) {
        limit?.release();
        return reader === undefined ? source.cancel(reason) : reader.cancel(reason);
      },
    },
    // Read nothing ahead: the body is pulled only as the caller reads it.
    { highWaterMark: 0 },
  );
}
