import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {
  IdempotencyOptions as NeutralIdempotencyOptions,
  ResolvedIdempotencyOptions,
} from '../http/idempotency-options.js';
import { resolveIdempotencyOptions } from '../http/idempotency-options.js';
import {
  answerIdempotently,
  type HandlerExchange,
  type HandlerListener,
  type HeldAnswer,
} from '../http/idempotent-exchange.js';
import { type Admission, admit, type RequestFacts } from '../http/idempotent-request.js';
import { type HttpAnswer, writeAnswer } from '../http/problem.js';
import { applyRecordedHeaders, replayableHeaders } from '../http/recorded-answer.js';
import { responseErrorType } from '../http/response-error.js';
import { createIdempotencyEngine, type IdempotencyEngine } from '../idempotency/engine.js';
import { MemoryStore } from '../idempotency/memory-store.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { type CaptureResult, captureResponse, type ResponseCapture } from './response-capture.js';
import { matchedRoute, routeTemplate } from './route-template.js';

/*
 * Express's part of idempotency: the middleware hands each request to the
 * framework-neutral flow (`src/http/`), supplying what only Express knows:
 * the route it matched (the scope), the rest of the chain (`next()`) as the
 * operation, and a capture of `res` that holds the handler's answer until the
 * engine has recorded it.
 */

export { IDEMPOTENCY_DEFAULTS } from '../http/idempotency-options.js';
export type { IdempotencyRequestClaim } from '../http/idempotent-exchange.js';
export { idempotencyClaim } from '../http/idempotent-exchange.js';

/** Options of {@link idempotency}; `principal` receives the Express request. */
export type IdempotencyOptions = NeutralIdempotencyOptions<Request>;

/**
 * Express middleware for the `Idempotency-Key` header (IETF draft semantics).
 * For the configured methods (default POST and PATCH) it claims the key in the
 * store, scoped by tenant (`getTenant()`), principal, method and route; runs
 * the handler once; records its response BEFORE sending it; and replays that
 * response (status, body bytes, allow-listed headers, `Idempotent-Replayed:
 * true`) to every retry. Answers, all `application/problem+json`:
 * 400 key missing or malformed, 413 body over `maxBodyBytes`, 409 + `Retry-After`
 * while the original is in flight, 422 key reused with another request, 503 +
 * `Retry-After` when the store is unreachable or slow (the handler never runs),
 * 500 + `Retry-After` when the handler ran but its outcome could not be recorded.
 *
 * To commit the recorded response in the same transaction as the business
 * write, pass `idempotencyClaim(res)` to `withIdempotentTransaction`
 * (`bulwark/postgres`); the middleware then sends exactly what committed.
 *
 * Mount it after authentication and `tenant()`, and after your body parser:
 * parsed bodies are fingerprinted in canonical form (JSON key order and
 * whitespace do not matter); without a parser the raw bytes are read (up to
 * `maxBodyBytes`) and left in `req.body` as a Buffer.
 *
 * @example
 * app.post('/transfers', express.json(), idempotency({ store }), createTransfer);
 */
export function idempotency(options: IdempotencyOptions = {}): RequestHandler {
  // biome-ignore lint/complexity/noArguments: the guard needs the real argument count.
  rejectMiddlewareMisuse('idempotency', arguments);
  const config = resolveIdempotencyOptions(options);
  const engine = createIdempotencyEngine({ ...options, store: options.store ?? new MemoryStore() });

  return function idempotencyMiddleware(req: Request, res: Response, next: NextFunction) {
    if (!config.methods.has(req.method)) return next();
    const exchange = new ExpressExchange(req, res, next, config);
    const admission = admit(config, exchange);
    // Awaits only when the body stream had to be read: a parsed body is at hand.
    if (admission instanceof Promise) {
      return admission.then((admitted) => proceed(admitted, engine, config, exchange));
    }
    return proceed(admission, engine, config, exchange);
  };
}

function proceed(
  admission: Admission,
  engine: IdempotencyEngine,
  config: ResolvedIdempotencyOptions<Request>,
  exchange: ExpressExchange,
): void | Promise<void> {
  switch (admission.kind) {
    case 'pass':
      return exchange.passOn();
    case 'refuse':
      return exchange.send(admission.answer);
    case 'fail':
      return exchange.fail(admission.error);
    case 'claim':
      // Errors go to `next` through the exchange: nothing for Express to chain on.
      answerIdempotently(engine, config, admission.request, exchange);
  }
}

/**
 * One idempotent Express request: what Express knows of it, for `admit`, and
 * the exchange the framework-neutral flow then drives. The handler is the
 * rest of the chain (`next()`), and its answer is held by a capture of `res`
 * until the engine has recorded it. One object for both, whose methods read
 * `req` and `res`, rather than two objects, or closures, per request (the
 * http-server benchmark).
 */
class ExpressExchange implements RequestFacts<Request>, HandlerExchange {
  readonly req: Request;
  readonly raw: Request;
  readonly url: string;
  readonly parsedBody: unknown;
  readonly res: Response;
  readonly #next: NextFunction;
  readonly #config: ResolvedIdempotencyOptions<Request>;
  #capture: ResponseCapture | undefined;

  constructor(
    req: Request,
    res: Response,
    next: NextFunction,
    config: ResolvedIdempotencyOptions<Request>,
  ) {
    this.req = req;
    this.raw = req;
    this.url = req.originalUrl;
    this.parsedBody = req.body;
    this.res = res;
    this.#next = next;
    this.#config = config;
  }

  route(): string {
    return routeOf(this.req);
  }

  keepBody(bytes: Buffer): void {
    this.req.body = bytes;
  }

  // The capture tells the listener where the handler's answer ends (inside its
  // `res.end()`), with no promise between: the engine records the answer and
  // it goes out in that same call on a MemoryStore (the http-server benchmark).
  runHandler(listener: HandlerListener): void {
    this.#capture = captureResponse(this.res, this.#config.maxResponseBytes, (result) =>
      this.#tell(listener, result),
    );
    this.#next();
  }

  #tell(listener: HandlerListener, result: CaptureResult): void {
    let held: HeldAnswer;
    try {
      held = this.#held(result);
    } catch (error) {
      listener.handlerFailed(error);
      return;
    }
    listener.answerHeld(held);
  }

  #held(held: CaptureResult): HeldAnswer {
    if (held.kind !== 'complete') return held;
    const res = this.res;
    return {
      kind: 'complete',
      status: held.status,
      body: held.body,
      headers: replayableHeaders(this.#config.replayHeaders, res),
      // errorHandler() answered: a thrown error, whatever status it chose.
      errored: responseErrorType(res) !== undefined,
    };
  }

  sendHeld(headers?: Readonly<Record<string, string>>): void {
    const res = this.res;
    if (headers === undefined) {
      this.#capture?.flush();
      return;
    }
    this.#capture?.flush(() =>
      applyRecordedHeaders(
        this.#config.replayHeaders,
        headers,
        (name) => res.removeHeader(name),
        (name, value) => res.setHeader(name, value),
      ),
    );
  }

  dropHeld(): void {
    this.#capture?.discard();
  }

  send(answer: HttpAnswer): void {
    writeAnswer(this.res, answer);
  }

  fail(error: unknown): void {
    this.#next(error);
  }

  /** Not ours: the rest of the chain runs as if idempotency were not mounted. */
  passOn(): void {
    this.#next();
  }
}

/**
 * The route the key is scoped to: what Express matched, so that one resource
 * is one scope. Inside a route, its whole template (`/v1/transfers/:id`,
 * mounts included). Otherwise (mounted with `app.use`, or a route whose
 * template is unknowable, such as an array of paths) the path as Express
 * matches it: case-folded unless `case sensitive routing` is on, and without
 * its trailing slash unless `strict routing` is on, so `/t`, `/T` and `/t/`
 * are one scope, as they are one route to Express.
 */
function routeOf(req: Request): string {
  const template = routeTemplate(req);
  if (template !== undefined) return template;
  const path: unknown = (matchedRoute(req) as { path?: unknown } | undefined)?.path;
  return matchedPath(req, req.baseUrl + (typeof path === 'string' ? path : req.path));
}

function matchedPath(req: Request, path: string): string {
  const app = req.app as Request['app'] | undefined;
  let matched = path;
  if (matched.length > 1 && matched.endsWith('/') && !enabled(app, 'strict routing')) {
    matched = matched.slice(0, -1);
  }
  return enabled(app, 'case sensitive routing') ? matched : matched.toLowerCase();
}

/**
 * `app.enabled(name)`, read from `app.settings` (a sub-app's inherit its
 * parent's through their prototype, on both majors): this runs for every
 * idempotent request mounted with `app.use` (the http-server benchmark).
 */
function enabled(app: Request['app'] | undefined, name: string): boolean {
  const settings = (app as { settings?: Record<string, unknown> } | undefined)?.settings;
  return settings === undefined ? app?.enabled(name) === true : Boolean(settings[name]);
}
