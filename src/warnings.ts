/**
 * bulwark's one warning channel: Node process warnings (printed to stderr by
 * default, observable with `process.on('warning')`), of type `BulwarkWarning`,
 * each with a code naming its area. Startup problems and misconfigurations go
 * out once per process (a warning repeated on every call would bury the real
 * logs); events that carry a count (spans dropped in a burst) go out each time.
 * Telemetry observes and never breaks the application: a throwing `'warning'`
 * listener never reaches the caller.
 */

/** The codes of bulwark's warnings, one per area. */
export const WarningCode = {
  /** `bulwark/otel`: telemetry setup, exporters, dropped spans. */
  Otel: 'BULWARK_OTEL',
  /** `bulwark/slo`: a recording, listener or metric observation that failed. */
  Slo: 'BULWARK_SLO',
  /** `MemoryStore` used with `NODE_ENV=production`. */
  MemoryStoreNotDurable: 'BULWARK_MEMORY_STORE_NOT_DURABLE',
} as const;

/** One of the {@link WarningCode} values. */
export type WarningCodeValue = (typeof WarningCode)[keyof typeof WarningCode];

const WARNED = Symbol.for('bulwark.warned');
type WarnedRegistry = { [WARNED]?: Set<string> };

/** Emits a warning unless the same code and message were emitted before in this process. */
export function warnOnce(code: WarningCodeValue, message: string): void {
  const registry = globalThis as WarnedRegistry;
  registry[WARNED] ??= new Set();
  const seen = `${code}\u0000${message}`;
  if (registry[WARNED].has(seen)) return;
  registry[WARNED].add(seen);
  warn(code, message);
}

/** Emits a warning. Never throws. */
export function warn(code: WarningCodeValue, message: string): void {
  try {
    process.emitWarning(message, { type: 'BulwarkWarning', code });
  } catch {
    // A throwing 'warning' listener must not reach the caller.
  }
}
