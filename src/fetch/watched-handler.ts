/*
 * The handler undici gets for each hop of an attempt's exchange
 * (exchange.ts): fetch's own, behind an object that forwards every call to
 * it and tells the exchange when the request starts (its abort) and when the
 * response has been received to its end.
 */

/** What a watched handler tells: the exchange of the attempt (see exchange.ts). */
export interface HopWatcher {
  /** undici handed the hop in flight its abort. */
  hopStarted(abort: (reason: unknown) => void): void;
  /** undici received the whole response of hop number `hop`. */
  hopReceived(hop: number): void;
}

/** Fetch's handler of one hop, in either handler API (see {@link watchedHandler}). */
interface RequestHandler {
  onRequestStart?: unknown;
}

/**
 * The handler undici gets for one hop: fetch's own (`inner`), behind one
 * object that forwards every call to it and watches two of them: the start
 * of the request (its abort) and the end of the response. A forwarding
 * object, not fetch's handler with those two hooks replaced in place: the
 * replaced hooks cost more per request on loopback than a forwarding call
 * per chunk, as undici then calls a closure rather than the method of
 * fetch's handler (`benchmarks/scenarios/http-client.mjs`, measured by
 * `benchmarks/profile/fetch-cpu.mjs`). Two shapes, for the two handler APIs
 * (undici 6 and 7 give fetch's handler `onConnect`; 8 `onRequestStart`),
 * each with the hooks fetch's handler has on those lines, so undici finds
 * the same hooks it would on fetch's handler; one it lacks is a no-op.
 */
export function watchedHandler(inner: object, exchange: HopWatcher, hop: number): object {
  const handler = inner as RequestHandler;
  return typeof handler.onRequestStart === 'function'
    ? new WatchedHandler(inner as ControllerHandler, exchange, hop)
    : new WatchedLegacyHandler(inner as LegacyHandler, exchange, hop);
}

/** Fetch's handler in the API of undici 6 and 7. */
interface LegacyHandler {
  onConnect(abort: (reason?: unknown) => void, context?: unknown): void;
  onResponseStarted?(): void;
  onHeaders(status: number, headers: unknown, resume: () => void, text: string): boolean;
  onData(chunk: unknown): boolean;
  onComplete(trailers: unknown): void;
  onError(error: unknown): void;
  onUpgrade?(status: number, headers: unknown, socket: unknown): void;
  /** Undici 7's fetch handler has it beside `onUpgrade`. */
  onRequestUpgrade?(controller: unknown, status: number, headers: unknown, socket: unknown): void;
}

/** See {@link watchedHandler}: undici 6 and 7. */
class WatchedLegacyHandler implements LegacyHandler {
  constructor(
    private readonly inner: LegacyHandler,
    private readonly exchange: HopWatcher,
    private readonly hop: number,
  ) {}

  onConnect(abort: (reason?: unknown) => void, context?: unknown): void {
    this.inner.onConnect(abort, context);
    this.exchange.hopStarted(abort);
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  onHeaders(status: number, headers: unknown, resume: () => void, text: string): boolean {
    return this.inner.onHeaders(status, headers, resume, text);
  }

  onData(chunk: unknown): boolean {
    return this.inner.onData(chunk);
  }

  onComplete(trailers: unknown): void {
    this.inner.onComplete(trailers);
    this.exchange.hopReceived(this.hop);
  }

  onError(error: unknown): void {
    this.inner.onError(error);
  }

  onUpgrade(status: number, headers: unknown, socket: unknown): void {
    this.inner.onUpgrade?.(status, headers, socket);
  }

  onRequestUpgrade(controller: unknown, status: number, headers: unknown, socket: unknown): void {
    this.inner.onRequestUpgrade?.(controller, status, headers, socket);
  }
}

/** undici's request controller, as far as the exchange uses it. */
interface RequestController {
  abort(reason: unknown): void;
}

/** Fetch's handler in the API of undici 8. */
interface ControllerHandler {
  onRequestStart(controller: RequestController, context: unknown): void;
  /** Undici 8's fetch handler keeps it: the time its response started, for fetch's timing info. */
  onResponseStarted?(): void;
  onRequestUpgrade?(
    controller: RequestController,
    status: number,
    headers: unknown,
    socket: unknown,
  ): void;
  onResponseStart?(
    controller: RequestController,
    status: number,
    headers: unknown,
    text: string,
  ): void;
  onResponseData?(controller: RequestController, chunk: unknown): void;
  onResponseEnd?(controller: RequestController, trailers: unknown): void;
  onResponseError?(controller: RequestController, error: unknown): void;
}

/** See {@link watchedHandler}: undici 8. */
class WatchedHandler implements ControllerHandler {
  constructor(
    private readonly inner: ControllerHandler,
    private readonly exchange: HopWatcher,
    private readonly hop: number,
  ) {}

  onRequestStart(controller: RequestController, context: unknown): void {
    this.inner.onRequestStart(controller, context);
    this.exchange.hopStarted((reason) => controller.abort(reason));
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  onRequestUpgrade(
    controller: RequestController,
    status: number,
    headers: unknown,
    socket: unknown,
  ): void {
    this.inner.onRequestUpgrade?.(controller, status, headers, socket);
  }

  onResponseStart(
    controller: RequestController,
    status: number,
    headers: unknown,
    text: string,
  ): void {
    this.inner.onResponseStart?.(controller, status, headers, text);
  }

  onResponseData(controller: RequestController, chunk: unknown): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: RequestController, trailers: unknown): void {
    this.inner.onResponseEnd?.(controller, trailers);
    this.exchange.hopReceived(this.hop);
  }

  onResponseError(controller: RequestController, error: unknown): void {
    this.inner.onResponseError?.(controller, error);
  }
}
