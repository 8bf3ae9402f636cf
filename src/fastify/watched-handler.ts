import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { exchangeOf } from './request-slots.js';

/**
 * Hears an error a route handler raised once its answer had gone out, which
 * Fastify itself only logs (it calls no `onError` hook and no error handler
 * for a sent reply).
 */
export type ErrorAfterAnswer = (error: unknown, request: FastifyRequest) => void;

/**
 * Wraps the handler of every route declared after the plugin (Fastify's
 * `onRoute`), so that the end of an idempotent request's handler is watched
 * here: an error it raises after its answer went out reaches `afterAnswer`.
 * That is what lets the exchange send an answer recorded where the handler
 * answers at once, rather than holding it until the handler's reactions have
 * run (see `FastifyExchange.watchHandler`): under load the hold costs more
 * than its two microtask steps, as Fastify then watches the unsent reply
 * until it finishes (scenario `http-server-fastify`, measured by
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
      // Fastify's own catch comes next: it answers the error if nothing was sent.
      if (reply.sent) afterAnswer(error, request);
      throw error;
    }
    // Only a native promise: a reply (or another thenable) returned is watched
    // by Fastify through its `then`, which for an unsent reply waits for the
    // response to finish. This reaction runs just before Fastify's own, which
    // logs the error when the reply was sent and otherwise answers it.
    if (result instanceof Promise) {
      result.then(undefined, (error: unknown) => {
        if (reply.sent) afterAnswer(error, request);
      });
    }
    return result;
  } as RouteHandlerMethod;
}
