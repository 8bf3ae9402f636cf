import type { FastifyReply } from 'fastify';
import type { HttpAnswer } from '../http/problem.js';

/**
 * Sends one of bulwark's own answers through Fastify, so the application's
 * `onSend` hooks see it as they see any reply. The body goes as a Buffer:
 * Fastify sends Buffers untouched, so a replay is byte-identical and a
 * problem keeps its exact `application/problem+json` type.
 */
export function sendAnswer(reply: FastifyReply, answer: HttpAnswer): void {
  reply.code(answer.status).headers(answer.headers).send(answer.body);
}
