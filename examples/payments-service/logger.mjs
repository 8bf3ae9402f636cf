/**
 * The service's logs: pino JSON lines on stdout, each carrying the trace and
 * the tenant of the request it belongs to (bulwark's `logFields()` as a pino
 * mixin), plus bulwark's own significant events (breaker opened or closed,
 * bulkhead rejecting, retry budget spent, SLO budget exhausted, idempotency
 * store down), once per transition, never once per request.
 */
import { logEvents, logFields } from 'bulwark';
import pino from 'pino';

/**
 * @param {string} serviceName
 * @param {import('pino').DestinationStream} [destination] default stdout
 */
export function createLogger(serviceName, destination) {
  const options = { name: serviceName, mixin: () => logFields() };
  const logger = destination === undefined ? pino(options) : pino(options, destination);
  const stopEvents = logEvents(logger);
  return { logger, stopEvents };
}
