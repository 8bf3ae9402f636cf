import { livePipelines } from '../resilience/registry.js';
import { liveSlos } from '../slo/registry.js';
import { idempotencyLog } from './idempotency-log.js';
import {
  type BulwarkLogger,
  type LogEventsOptions,
  lineWriter,
  resolveLogOptions,
} from './logger.js';
import { resilienceLog } from './resilience-log.js';
import { sloLog } from './slo-log.js';

/**
 * Logs bulwark's significant events to `logger`, each once per transition,
 * never once per request: a breaker opened or closed, a bulkhead started or
 * stopped rejecting, a retry budget spent or refilled, an SLO's error budget
 * exhausted, the idempotency store unavailable or back, an outcome unknown,
 * a lease lost. Every line carries `event.name`, what it concerns
 * (`pipeline.name`, `bulwark.resilience.key`, `slo.name`) and the context
 * fields of the call that caused it ({@link logFields}). Covers every
 * pipeline and SLO, those created later too. Returns the function that stops it.
 *
 * @example
 * const logger = pino({ mixin: () => logFields() });
 * logEvents(logger);
 */
export function logEvents(logger: BulwarkLogger, options: LogEventsOptions = {}): () => void {
  const write = lineWriter(logger);
  const settings = resolveLogOptions(options);
  const stops = [
    resilienceLog(livePipelines, write, settings),
    sloLog(liveSlos, write),
    idempotencyLog(write, settings),
  ];
  return function stopLogging() {
    for (const stop of stops.splice(0)) stop();
  };
}
