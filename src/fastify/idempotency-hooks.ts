import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import {
  type IdempotencyOptions,
  type ResolvedIdempotencyOptions,
  resolveIdempotencyOptions,
} from '../http/idempotency-options.js';
import { answerIdempotently } from '../http/idempotent-exchange.js';
import { type Admission, admit, type RequestFacts } from '../http/idempotent-request.js';
import { createIdempotencyEngine, type IdempotencyEngine } from '../idempotency/engine.js';
import { MemoryStore } from '../idempotency/memory-store.js';
import { FastifyExchange } from './fastify-exchange.js';
import { sendAnswer } from './reply-answer.js';
import { exchangeOf } from './request-slots.js';
import { type ErrorAfterAnswer, watchRouteHandlers } from './watched-handler.js';

/**
 * Idempotency keys on Fastify. `preHandler` (the body is parsed, the route
 * known) admits the request and claims its key; the handler runs when the
 * claim succeeds, inside the engine's operation; `onSend` holds its answer
 * until it is recorded. Routes with `config: { idempotency: false }`, and
 * requests no route matched, pass untouched. The handlers of routes declared
 * after the plugin are watched (`watched-handler.ts`): an error one raises
 * once its answer is taken goes to `afterAnswer`, and no further.
 */
export function addIdempotencyHooks(
  instance: FastifyInstance,
  options: IdempotencyOptions<FastifyRequest>,
  afterAnswer: ErrorAfterAnswer,
): void {
  const config = resolveIdempotencyOptions(options);
  const engine = createIdempotencyEngine({ ...options, store: options.store ?? new MemoryStore() });
  watchRouteHandlers(instance, afterAnswer);
  instance.addHook('preHandler', function bulwarkIdempotency(request, reply, done) {
    if (!config.methods.has(request.raw.method ?? '')) return done();
    // Read once: Fastify builds a new routeOptions object on every read.
    const { url: route, config: routeConfig } = request.routeOptions;
    if (route === undefined || routeConfig?.idempotency === false) return done();
    const admission = admit(config, new FastifyFacts(request, route));
    if (admission instanceof Promise) {
      admission.then((admitted) => proceed(admitted, engine, config, request, reply, done));
    } else {
      proceed(admission, engine, config, request, reply, done);
    }
  });
  instance.addHook('onSend', function bulwarkIdempotencyHold(request, _reply, payload, done) {
    const exchange = exchangeOf(request);
    if (exchange === undefined) done(null, payload);
    else exchange.onSend(payload, done);
  });
}

/**
 * What Fastify knows of a request, for `admit`: its route is at hand, so an
 * object with a method rather than a literal with a closure per request
 * (scenario `http-server-fastify`).
 */
class FastifyFacts implements RequestFacts<FastifyRequest> {
  readonly req: FastifyRequest;
  readonly raw: FastifyRequest['raw'];
  readonly url: string;
  readonly parsedBody: unknown;
  readonly #route: string;

  constructor(request: FastifyRequest, route: string) {
    this.req = request;
    this.raw = request.raw;
    this.url = request.raw.url ?? request.url;
    this.parsedBody = request.body;
    this.#route = route;
  }

  route(): string {
    return this.#route;
  }
}

function proceed(
  admission: Admission,
  engine: IdempotencyEngine,
  config: ResolvedIdempotencyOptions<FastifyRequest>,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  switch (admission.kind) {
    case 'pass':
      done();
      return;
    case 'refuse':
      sendAnswer(reply, admission.answer);
      return;
    case 'fail':
      done(admission.error as Error);
      return;
    case 'claim': {
      const exchange = new FastifyExchange(request, reply, done, config);
      answerIdempotently(engine, config, admission.request, exchange);
    }
  }
}
