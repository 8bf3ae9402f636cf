import type { TelemetryHandle } from './handle.js';

/**
 * The handle of the telemetry this process started, kept under a `Symbol.for`
 * key so that two copies of bulwark (say, one bundled, one installed) still see
 * each other and never register two SDKs.
 */
const ACTIVE = Symbol.for('bulwark.otel.active');

type Registry = { [ACTIVE]?: TelemetryHandle };

/** The active handle, if `startTelemetry` started one and it is not shut down. */
export function activeTelemetry(): TelemetryHandle | undefined {
  return (globalThis as Registry)[ACTIVE];
}

/** Records (or, with `undefined`, clears) the active handle. */
export function setActiveTelemetry(handle: TelemetryHandle | undefined): void {
  if (handle === undefined) delete (globalThis as Registry)[ACTIVE];
  else (globalThis as Registry)[ACTIVE] = handle;
}

/** The OTel API keeps its globals here; the key includes the API's major version. */
const OTEL_API_GLOBALS = Symbol.for('opentelemetry.js.api.1');

/**
 * Which OTel globals someone else registered: a tracer or meter provider,
 * a propagator, a context manager. The API has no public "is registered" check,
 * and registering over them fails with a logged error and a half-configured
 * process, so bulwark looks before it leaps.
 */
export function foreignRegistrations(): string[] {
  const api = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[OTEL_API_GLOBALS];
  if (api === undefined) return [];
  return ['trace', 'metrics', 'propagation', 'context'].filter((type) => api[type] !== undefined);
}

/** True when someone registered a global logger provider (a logging setup of its own, say). */
export function loggerProviderRegistered(): boolean {
  // Since API 1.10 the logs API keeps its provider with the other globals.
  const api = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[OTEL_API_GLOBALS];
  return api?.logs !== undefined;
}
