import type { Limit } from './limit.js';

/**
 * Makes a request body safe to send more than once. Every attempt must send
 * byte-identical bytes, and a one-shot body (a `ReadableStream` or an async
 * iterable) can be read only once: it is buffered up to a cap. Above the cap
 * the call can run once only, and says so, because a half-consumed stream must
 * never be sent as if it were the whole body. Buffering waits on the caller's
 * stream, so it runs under a {@link Limit}: a stream that stalls is cancelled.
 */

/** A body every attempt can send again: the same bytes, or a re-readable value. */
export interface ReplayableBody {
  readonly replayable: true;
  /** The body to pass to `fetch` on each attempt (`null` for none); never a stream. */
  readonly body: BodyInit | null;
  /** Content type implied by the body (for example a multipart boundary), if any. */
  readonly contentType: string | undefined;
}

/** A body too large to buffer: it can be sent exactly once. */
export interface OneShotBody {
  readonly replayable: false;
  /** Replays the buffered prefix, then streams the rest. */
  readonly body: ReadableStream<Uint8Array>;
  readonly contentType: undefined;
  /**
   * Cancels the caller's stream once the attempt sending it failed: `fetch`
   * drops a request body it was aborted in the middle of, which would leave
   * the caller's stream locked and pending for good.
   */
  abandon(reason: unknown): void;
}

/** What {@link prepareBody} returns. */
export type PreparedBody = ReplayableBody | OneShotBody;

/** Any body `fetch` takes, and the async iterables Node's fetch also streams. */
export type AnyBody = BodyInit | AsyncIterable<Uint8Array> | null | undefined;

/**
 * The prepared body of a call without one (the common GET), made once rather
 * than per call (`benchmarks/scenarios/http-client.mjs`).
 */
const NO_BODY: ReplayableBody = Object.freeze({
  replayable: true,
  body: null,
  contentType: undefined,
});

/**
 * The body as it is, when it can be sent again as it is (none, a string,
 * bytes, a Blob, URLSearchParams); `undefined` when it must go through
 * {@link prepareBody}. Synchronous, so the common call skips an await and
 * the upload limit (`benchmarks/scenarios/http-client.mjs`).
 */
export function preparedAtOnce(body: AnyBody): ReplayableBody | undefined {
  if (body === null || body === undefined) return NO_BODY;
  if (typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    return replayable(body as BodyInit, undefined);
  }
  if (body instanceof Blob || body instanceof URLSearchParams) return replayable(body, undefined);
  return undefined;
}

/**
 * Turns any fetch body into one that attempts can resend; see the module
 * comment. `limit` bounds the reading of a stream body; when it fires, the
 * stream is cancelled and this rejects with the limit's error.
 */
export async function prepareBody(
  body: AnyBody,
  capBytes: number,
  limit?: Limit,
): Promise<PreparedBody> {
  const ready = preparedAtOnce(body);
  if (ready !== undefined) return ready;
  if (body instanceof FormData) {
    // Encoding FormData picks a random multipart boundary each time: encode once.
    const encoded = new Response(body);
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    return replayable(bytes as BodyInit, encoded.headers.get('content-type') ?? undefined);
  }
  const iterator = isAsyncIterable(body)
    ? body[Symbol.asyncIterator]()
    : iteratorOf(body as ReadableStream<Uint8Array>);
  if (limit === undefined || limit.unbounded) return bufferUpTo(iterator, capBytes);
  const stopped = new Promise<never>((_, reject) => {
    limit.arm((error) => {
      // Rejected before the cancel: the cancelled read resolves as "done",
      // and a cut stream must never pass for a complete body.
      reject(error);
      stop(iterator, error);
    });
  });
  try {
    return await bufferUpTo(iterator, capBytes, stopped);
  } finally {
    // Above the cap the rest streams during the attempt, under its own timeout.
    limit.release();
  }
}

async function bufferUpTo(
  iterator: AsyncIterator<Uint8Array>,
  capBytes: number,
  stopped?: Promise<never>,
): Promise<PreparedBody> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const pending = iterator.next();
    const next = await (stopped === undefined ? pending : Promise.race([stopped, pending]));
    if (next.done) return replayable(concat(chunks, size) as BodyInit, undefined);
    const chunk = toBytes(next.value);
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > capBytes) return oneShot(chunks, iterator);
  }
}

/** Cancels the caller's stream without waiting: a stalled source may never settle. */
function stop(iterator: AsyncIterator<Uint8Array>, reason: unknown): void {
  try {
    iterator.return?.(reason)?.catch(() => {});
  } catch {
    // A source that throws on cancel is cancelled as far as it can be.
  }
}

function oneShot(prefix: Uint8Array[], rest: AsyncIterator<Uint8Array>): OneShotBody {
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffered = prefix.shift();
      if (buffered !== undefined) return controller.enqueue(buffered);
      const next = await rest.next();
      if (next.done) controller.close();
      else controller.enqueue(toBytes(next.value));
    },
    async cancel(reason) {
      await rest.return?.(reason);
    },
  });
  return {
    replayable: false,
    body: stream,
    contentType: undefined,
    abandon: (reason) => stop(rest, reason),
  };
}

function replayable(body: ReplayableBody['body'], contentType: string | undefined): ReplayableBody {
  return { replayable: true, body, contentType };
}

function iteratorOf(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    return: async (reason?: unknown) => {
      await reader.cancel(reason);
      return { done: true, value: undefined };
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Symbol.asyncIterator in value &&
    !(value instanceof ReadableStream)
  );
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  if (ArrayBuffer.isView(chunk))
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('request body chunks must be bytes or strings');
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
