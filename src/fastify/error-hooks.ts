import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorResponder } from '../http/error-reporting.js';
import { noteResponseError } from '../http/response-error.js';
import { answerHasBegun } from './fastify-exchange.js';
import { sendAnswer } from './reply-answer.js';
import { exchangeOf } from './request-slots.js';
import type { ErrorAfterAnswer } from './watched-handler.js';

/**
 * Notes every error a request raised (Fastify's `onError`, before any error
 * handler), so metrics carry its `error.type` and idempotency never records
 * an answer to a thrown error, whichever error handler answers it.
 */
export function addErrorNotes(instance: FastifyInstance): void {
  instance.addHook('onError', function bulwarkErrorNote(request, reply, error, done) {
    noteResponseError(reply.raw, error);
    exchangeOf(request)?.errorRaised();
    done();
  });
}

/**
 * problem+json answers through Fastify's error handler (the one table of
 * `bulwark/express`'s `errorHandler()`). An error raised once an answer has
 * begun (held for recording, or streaming) never writes a second one:
 * `onError` is told, and the answer stands.
 */
export function setProblemErrorHandler(
  instance: FastifyInstance,
  responder: ErrorResponder<FastifyRequest>,
): void {
  instance.setErrorHandler(function bulwarkErrorHandler(error, request, reply) {
    responder.report(error, request);
    if (answerHasBegun(request, reply)) return;
    noteResponseError(reply.raw, error);
    sendAnswer(reply, responder.answer(error));
  });
}

/**
 * What the plugin does with an error a handler raised once its answer was
 * taken (see `watched-handler.ts`), which goes no further: `responder` (the
 * `errors` part) is told, or, with the part off, it is logged on the
 * request's logger, as Fastify logs an error after a sent reply. The answer
 * stands, and the request's metrics record it as it went out.
 */
export function errorAfterAnswer(
  responder: ErrorResponder<FastifyRequest> | undefined,
): ErrorAfterAnswer {
  return function bulwarkErrorAfterAnswer(error, request) {
    if (responder !== undefined) {
      responder.report(error, request);
      return;
    }
    request.log.error({ err: error }, 'bulwark: the handler failed after answering');
  };
}
