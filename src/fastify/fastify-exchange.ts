import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ResolvedIdempotencyOptions } from '../http/idempotency-options.js';
import type { HandlerExchange, HandlerListener, HeldAnswer } from '../http/idempotent-exchange.js';
import type { HttpAnswer } from '../http/problem.js';
import { applyRecordedHeaders, replayableHeaders } from '../http/recorded-answer.js';
import { responseErrorType } from '../http/response-error.js';
import { sendAnswer } from './reply-answer.js';
import { exchangeOf, setExchange } from './request-slots.js';

/** Fastify's `onSend` continuation. */
type OnSendDone = (error: Error | null, payload?: unknown) => void;

/**
 * An answer held in `onSend`: the payload to send, its continuation, its
 * status, and its headers as they were when an error arrived while it was
 * held (`undefined` while none did: see {@link FastifyExchange.errorRaised}).
 */
interface Held {
  readonly payload: unknown;
  readonly done: OnSendDone;
  readonly status: number;
  headers: ReturnType<FastifyReply['getHeaders']> | undefined;
}

/**
 * Drops the exchange of `request` once its response is over: it holds the
 * request, reply and response, and answers `exchangeOf` no longer.
 */
function forgetExchange(request: FastifyRequest): void {
  setExchange(request, null);
}

/** The exchange a Node response belongs to, for {@link onRawFinish}. */
const RAW_EXCHANGE = Symbol('bulwark.fastifyExchange');
type ExchangedResponse = ServerResponse & { [RAW_EXCHANGE]?: FastifyExchange };

/**
 * One module-level `finish` listener for every exchange, finding its exchange
 * on the response, rather than a `once` wrapper and a closure per request
 * (scenario `http-server-fastify`, profiled by `benchmarks/profile/fastify-cpu.mjs`).
 */
function onRawFinish(this: ExchangedResponse): void {
  this[RAW_EXCHANGE]?.rawFinished();
}

/** Whether an answer of `request` has begun: sent, streaming, or held for recording. */
export function answerHasBegun(request: FastifyRequest, reply: FastifyReply): boolean {
  return reply.sent || reply.raw.headersSent || exchangeOf(request)?.answered === true;
}

/**
 * One idempotent Fastify request, as the framework-neutral flow drives it.
 * The handler runs when the claiming `preHandler` hook calls `done()` (inside
 * the engine's operation, so `getOperation()` sees it); its answer is held in
 * `onSend` (the serialized payload, its `done` kept) until the engine has
 * recorded it, then released, or replaced by a problem. A state machine:
 *
 *   idle → running → held → over          (a bufferable answer)
 *                  → streaming → over     (a stream, text/event-stream, too large)
 *                  → over                 (a hijacked reply that finished on its own)
 *   idle | held → answering → over        (bulwark answers itself, or the error path does)
 *
 * A second `onSend` while an answer is held (an error after the answer, a
 * handler that sent without `return reply`) is never continued: the first
 * answer is the answer, and no second head is written.
 */
export class FastifyExchange implements HandlerExchange {
  readonly res: ServerResponse;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #continue: HookHandlerDoneFunction;
  readonly #config: ResolvedIdempotencyOptions<FastifyRequest>;
  #state: 'idle' | 'running' | 'held' | 'streaming' | 'answering' | 'over' = 'idle';
  /** Who hears of the handler's answer (see runHandler), until it has. */
  #listener: HandlerListener | undefined;
  #held: Held | undefined;
  /** Whether the handler's end is watched (see {@link watchHandler}). */
  #handlerWatched = false;
  /** Whether the handler's answer was let go (continued from `onSend`, recorded). */
  #released = false;

  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    proceed: HookHandlerDoneFunction,
    config: ResolvedIdempotencyOptions<FastifyRequest>,
  ) {
    this.res = reply.raw;
    this.#request = request;
    this.#reply = reply;
    this.#continue = proceed;
    this.#config = config;
    setExchange(request, this);
  }

  /** Whether the handler's answer has begun (held, streaming, or let go). */
  get answered(): boolean {
    return this.#state === 'held' || this.#state === 'streaming' || this.#released;
  }

  /**
   * Whether the exchange took the handler's answer: it is held for recording,
   * or was let go and may still be in the application's later `onSend`
   * hooks. An error now must not take Fastify's error path, which would
   * rewrite its head (see `watched-handler.ts`).
   */
  get answerTaken(): boolean {
    return this.#state === 'held' || this.#released;
  }

  /**
   * The route's handler is wrapped (`watched-handler.ts`), so an error it
   * raises once its answer is taken stops there: a held answer may go as
   * soon as it is recorded. Without the wrap, it waits for the handler's
   * reactions (see {@link afterHandlerReactions}), or the error would reach
   * only Fastify's log.
   */
  watchHandler(): void {
    this.#handlerWatched = true;
  }

  runHandler(listener: HandlerListener): void {
    this.#state = 'running';
    this.#listener = listener;
    // A hijacked reply answers on Node's response, past onSend: once it has
    // finished, its bytes are gone and never replayable, so the key is released.
    // (A client that merely went away closes, never finishes: the key stays held.)
    const res = this.res as ExchangedResponse;
    res[RAW_EXCHANGE] = this;
    res.on('finish', onRawFinish);
    this.#continue();
  }

  /** Node's response finished (see {@link onRawFinish}). */
  rawFinished(): void {
    (this.res as ExchangedResponse)[RAW_EXCHANGE] = undefined;
    if (this.#state === 'running') this.#finish({ kind: 'streamed' });
    else forgetExchange(this.#request);
  }

  /** Fastify's `onSend` for this request. */
  onSend(payload: unknown, done: OnSendDone): void {
    if (this.#state === 'answering') {
      this.#state = 'over';
      done(null, payload);
      return;
    }
    if (this.#state !== 'running') return; // a second answer: never continued
    const bytes = bytesOf(payload);
    if (
      bytes === undefined ||
      bytes.byteLength > this.#config.maxResponseBytes ||
      this.#isEventStream()
    ) {
      this.#state = 'streaming';
      this.res.once('close', () => this.#finish({ kind: 'streamed' }));
      done(null, payload);
      return;
    }
    this.#state = 'held';
    const reply = this.#reply;
    // A serialized string goes out as the bytes recorded from it: Fastify writes a
    // Buffer as it is, where the string would be encoded to UTF-8 a second time.
    // (No payload stays no payload: Fastify answers it without a body.)
    const sent = typeof payload === 'string' ? bytes : payload;
    this.#held = { payload: sent, done, status: reply.statusCode, headers: undefined };
    this.#settle({
      kind: 'complete',
      status: reply.statusCode,
      body: bytes,
      headers: replayableHeaders(this.#config.replayHeaders, reply),
      errored: responseErrorType(this.res) !== undefined,
    });
  }

  /**
   * Fastify's `onError` for this request, before any error handler runs: an
   * error raised while the answer is held (a handler of a route declared
   * before the plugin that answers, then throws: see `watched-handler.ts`)
   * goes on to an error handler, which may rewrite the head. Its
   * headers are kept now, as they are, for {@link sendHeld} to restore. Only
   * then: an error is the one path on which Fastify itself writes to a held
   * reply, and a snapshot on every request cost two copies of the head and a
   * rewrite of each header (scenario `http-server-fastify`,
   * `benchmarks/profile/fastify-in-process.mjs --alloc`). A handler that sets
   * a header after sending, without an error, sets it on the held answer
   * while it is held, as it would behind any asynchronous `onSend` hook.
   */
  errorRaised(): void {
    const held = this.#held;
    if (held !== undefined && held.headers === undefined) held.headers = this.#reply.getHeaders();
  }

  sendHeld(headers?: Readonly<Record<string, string>>): void {
    this.#continueHeld((held, reply) => {
      // The answer goes out with the status it had.
      if (reply.statusCode !== held.status) reply.code(held.status);
      if (held.headers !== undefined) restoreHeaders(reply, held.headers);
      if (headers !== undefined) {
        applyRecordedHeaders(
          this.#config.replayHeaders,
          headers,
          (name) => reply.removeHeader(name),
          (name, value) => reply.header(name, value),
        );
      }
      return held.payload;
    });
  }

  dropHeld(): void {
    if (this.#state === 'running') this.#finish({ kind: 'aborted' });
  }

  send(answer: HttpAnswer): void {
    if (this.#held !== undefined) {
      this.#continueHeld((_held, reply) => {
        // Replaces the held answer in its own onSend: every header it set goes.
        for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
        reply.code(answer.status).headers(answer.headers);
        return answer.body;
      });
      return;
    }
    if (this.#state !== 'idle') return;
    this.#state = 'answering';
    sendAnswer(this.#reply, answer);
  }

  fail(error: unknown): void {
    if (this.#held !== undefined) {
      // The held answer's onSend continues with the error, as it does for a failing preparation.
      this.#continueHeld(() => {
        throw error;
      });
    } else if (this.#state === 'idle') {
      // The error handler's answer comes through onSend next: it must pass.
      this.#state = 'answering';
      this.#continue(error as Error);
    }
  }

  /**
   * Continues the held answer's `onSend` with the payload `prepare` makes
   * ready: at once when the handler's end is watched (see
   * {@link watchHandler}), else once the handler's reactions have run (see
   * {@link afterHandlerReactions}), the answer held until then. A `prepare`
   * that throws continues it with the error, which Fastify's error handler
   * answers instead.
   */
  #continueHeld(prepare: (held: Held, reply: FastifyReply) => unknown): void {
    if (this.#handlerWatched) this.#release(prepare);
    else afterHandlerReactions(() => this.#release(prepare));
  }

  #release(prepare: (held: Held, reply: FastifyReply) => unknown): void {
    const held = this.#take();
    if (held === undefined) return;
    let payload: unknown;
    try {
      payload = prepare(held, this.#reply);
    } catch (error) {
      this.#state = 'answering';
      held.done(error as Error);
      return;
    }
    this.#released = true;
    held.done(null, payload);
  }

  /** Takes the held answer's continuation, once. */
  #take(): Held | undefined {
    const held = this.#held;
    if (held === undefined) return undefined;
    this.#held = undefined;
    this.#state = 'over';
    return held;
  }

  /** Tells the listener of the handler's answer, once. */
  #settle(answer: HeldAnswer): void {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    listener.answerHeld(answer);
  }

  #finish(result: HeldAnswer): void {
    if (this.#state === 'streaming' || this.#state === 'running') this.#state = 'over';
    this.#settle(result);
    forgetExchange(this.#request);
  }

  #isEventStream(): boolean {
    return String(this.#reply.getHeader('content-type') ?? '').startsWith('text/event-stream');
  }
}

/**
 * Runs `continueHeld` (which continues a held answer's `onSend`) two
 * microtask steps from now, not at once, for a handler whose end is not
 * watched (a route declared before the plugin: see `watched-handler.ts`).
 * The answer is held, recorded and released where the handler answers (see
 * `runSettled`), often inside its `reply.send()`; continuing it there would
 * end the response before the handler returns, and an error the handler
 * throws right after answering would then never reach `onError` (Fastify
 * only logs an error raised on a sent reply), where the errors contract
 * (and Express) tells it. The
 * handler's end (a throw, or its returned promise settling) queues Fastify's
 * reaction in the step after the one where it answered: two steps let that
 * reaction run first, so the error handler finds the answer still held.
 * Errors thrown here go to the held answer's own continuation (see callers).
 */
function afterHandlerReactions(continueHeld: () => void): void {
  queueMicrotask(() => queueMicrotask(continueHeld));
}

/**
 * Puts the head of `reply` back to `kept`, as an error handler may have
 * changed it. (for-in over the fresh copy getHeaders() makes: no array of its
 * names besides.)
 */
function restoreHeaders(reply: FastifyReply, kept: ReturnType<FastifyReply['getHeaders']>): void {
  const current = reply.getHeaders();
  for (const name in current) {
    if (!(name in kept)) reply.removeHeader(name);
  }
  reply.headers(kept);
}

/** A payload as bytes, or `undefined` for a stream (node or web) or a `Response`. */
function bytesOf(payload: unknown): Buffer | undefined {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  return undefined;
}
