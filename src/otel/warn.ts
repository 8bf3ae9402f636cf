/**
 * Startup problems are reported as Node process warnings (printed to stderr by
 * default, observable with `process.on('warning')`), each message once per
 * process: a misconfiguration repeated on every call would bury the real logs.
 */
const WARNED = Symbol.for('bulwark.otel.warned');

type WarnedRegistry = { [WARNED]?: Set<string> };

/** The `code` of every warning bulwark/otel emits. */
export const WARNING_CODE = 'BULWARK_OTEL';

/** Emits `message` as a process warning unless it was emitted before. Never throws. */
export function warnOnce(message: string): void {
  const registry = globalThis as WarnedRegistry;
  registry[WARNED] ??= new Set();
  if (registry[WARNED].has(message)) return;
  registry[WARNED].add(message);
  try {
    process.emitWarning(`bulwark/otel: ${message}`, { code: WARNING_CODE });
  } catch {
    // A throwing 'warning' listener must not reach the caller.
  }
}
