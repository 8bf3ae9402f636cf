import { invalidOption } from '../errors.js';
import { logFields } from './fields.js';

/**
 * The logger bulwark writes its own events to: three methods taking the
 * fields of the line, then its message, the way pino's methods do (a pino
 * logger fits as it is). Levels: `error` needs a person now, `warn` means a
 * protection is kicking in, `info` that it stopped.
 */
export interface BulwarkLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The level of one line. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Options of `logEvents()`. */
export interface LogEventsOptions {
  /**
   * How long an event that repeats per call (bulkhead rejecting, retry budget
   * exhausted, outcome unknown, lease lost) must stay quiet before its episode
   * counts as over: one line when an episode starts, one when it ends, never
   * one per call. In ms. Default 10_000.
   */
  quietMs?: number;
  /** Most episodes tracked at once (pipeline × key); the oldest ends early beyond it. Default 1_000. */
  maxEpisodes?: number;
}

/** Defaults of {@link LogEventsOptions}. */
export const LOG_EVENTS_DEFAULTS = {
  quietMs: 10_000,
  maxEpisodes: 1_000,
} as const;

/** Writes one line: the event's fields after the context fields; never throws. */
export type WriteLine = (level: LogLevel, fields: Record<string, unknown>, message: string) => void;

/** Validates the logger and options once; returns the writer every event goes through. */
export function lineWriter(logger: BulwarkLogger): WriteLine {
  for (const level of ['info', 'warn', 'error'] as const) {
    if (typeof (logger as Partial<BulwarkLogger> | undefined)?.[level] !== 'function') {
      throw invalidOption('logEvents', `logger.${level}`, logger?.[level], 'a function');
    }
  }
  return function writeLine(level, fields, message) {
    try {
      logger[level]({ ...logFields(), ...fields }, message);
    } catch {
      // A failing logger never breaks the call that had something to say.
    }
  };
}

/** Validates {@link LogEventsOptions}; the errors name the field. */
export function resolveLogOptions(options: LogEventsOptions): Required<LogEventsOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('logEvents', 'options', options, 'an options object');
  }
  const quietMs = options.quietMs ?? LOG_EVENTS_DEFAULTS.quietMs;
  if (typeof quietMs !== 'number' || !(quietMs >= 1 && quietMs <= 3_600_000)) {
    throw invalidOption('logEvents', 'quietMs', quietMs, 'a number from 1 to 3600000');
  }
  const maxEpisodes = options.maxEpisodes ?? LOG_EVENTS_DEFAULTS.maxEpisodes;
  if (!Number.isInteger(maxEpisodes) || maxEpisodes < 1 || maxEpisodes > 1e6) {
    throw invalidOption('logEvents', 'maxEpisodes', maxEpisodes, 'an integer from 1 to 1000000');
  }
  return { quietMs, maxEpisodes };
}
