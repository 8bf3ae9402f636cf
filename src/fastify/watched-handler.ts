import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { exchangeOf } from './request-slots.js';

/**
 * Hears an error a route handler raised once the exchange took its answer, in
 * place of Fastify's error path (which no `onError` hook or error handler of
 * the application then sees).
 */
export type ErrorAfterAnswer = (error: unknown, request: FastifyRequest) => void;

/**
 * Wraps the handler of every route declared after the plugin (Fastify's
 * `onRoute`), so that the end of an idempotent request's handler is watched
 * here. An error it raises once the exchange took its answer (held for
 * recording, or let go) is told to `afterAnswer` and goes no further:
 * Fastify's error path would rewrite the status and headers of an answer
 * still held or on its way through the application's `onSend` hooks, and
 * only logs one already sent. The answer stands, on every store.
 *
 * That is also what lets the exchange send an answer recorded where the
 * handler answers at once, rather than holding it until the handler's
 * reactions have run (see `FastifyExchange.watchHandler`): under load the
 * hold cost more than its two microtask steps, as Fastify then watched the
 * unsent reply until it finished (scenario `http-server-fastify`, measured by
 * `benchmarks/profile/load-cost.mjs --framework fastify`). Routes declared
 * before the plugin are not wrapped, and keep the hold.
 */
export function watchRouteHandlers(instance: FastifyInstance, afterAnswer: ErrorAfterAnswer): void {
  instance.addHook('onRoute', function bulwarkWatchHandler(route) {
    route.handler = watched(route.handler, afterAnswer);
  });
}

function watched(handler: RouteHandlerMethod, afterAnswer: ErrorAfterAnswer): RouteHandlerMethod {
  return function bulwarkWatchedHandler(this: FastifyInstance, request, reply) {
    const exchange = exchangeOf(request);
    if (exchange === undefined) return handler.call(this, request, reply);
    exchange.watchHandler();
    let result: unknown;
    try {
      result = handler.call(this, request, reply);
    } catch (error) {
      if (!exchange.answerTaken) throw error;
      afterAnswer(error, request);
      return undefined;
    }
    // Only a native promise: a reply (or another thenable) returned is
    // followed by Fastify through its `then`. Settled as `reply` after an
    // error heard here, so that Fastify waits for the answer to finish and
    // sends nothing more.
    if (!(result instanceof Promise)) return result;
    return result.then(undefined, (error: unknown) => {
      if (!exchange.answerTaken) throw error;
      afterAnswer(error, request);
      return reply;
    });
  } as RouteHandlerMethod;
}
