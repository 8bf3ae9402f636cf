import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { TelemetryHandle } from './handle.js';
import type { TelemetryOptions } from './options.js';
import { startTelemetry } from './start.js';
import { warnOnce } from './warn.js';

const AUTO_INSTRUMENTATIONS = '@opentelemetry/auto-instrumentations-node';

type Instrumentations = NonNullable<TelemetryOptions['instrumentations']>;

/**
 * Starts telemetry from the environment: `OTEL_SERVICE_NAME` (else the
 * `npm_package_name` npm sets, else `unknown_service:node`), the exporters and
 * endpoints of `OTEL_*`, and the auto-instrumentations when
 * `@opentelemetry/auto-instrumentations-node` is installed (which itself honours
 * `OTEL_NODE_ENABLED_INSTRUMENTATIONS` and `OTEL_NODE_DISABLED_INSTRUMENTATIONS`).
 *
 * The SDK is registered synchronously, before the application's first module
 * loads; only the Prometheus server (when asked for) starts afterwards.
 */
export function startFromEnvironment(): Promise<TelemetryHandle> {
  return startTelemetry({
    serviceName:
      process.env.OTEL_SERVICE_NAME || process.env.npm_package_name || 'unknown_service:node',
    instrumentations: autoInstrumentations(),
  });
}

/** The auto-instrumentations, when installed; none (and one warning) when not. */
function autoInstrumentations(): Instrumentations {
  const requireFromApp = createRequire(`${process.cwd()}/`);
  let entry: string;
  try {
    entry = requireFromApp.resolve(AUTO_INSTRUMENTATIONS);
  } catch {
    warnOnce(
      `${AUTO_INSTRUMENTATIONS} is not installed: only bulwark's own spans and metrics are recorded (npm install ${AUTO_INSTRUMENTATIONS} to trace http, express, pg, ioredis...)`,
    );
    return [];
  }
  try {
    registerEsmHook(entry);
    const auto = requireFromApp(AUTO_INSTRUMENTATIONS) as {
      getNodeAutoInstrumentations(): Instrumentations[number];
    };
    return [auto.getNodeAutoInstrumentations()];
  } catch (error) {
    warnOnce(`${AUTO_INSTRUMENTATIONS} failed to load: ${(error as Error)?.message ?? error}`);
    return [];
  }
}

/**
 * ES modules are only patched through the loader hook of
 * `@opentelemetry/instrumentation` (the one the auto-instrumentations use), so
 * register it before the application's modules load, as upstream's ESM guide does.
 */
function registerEsmHook(autoInstrumentationsEntry: string): void {
  const requireFromAuto = createRequire(autoInstrumentationsEntry);
  const hook = requireFromAuto.resolve('@opentelemetry/instrumentation/hook.mjs');
  register(pathToFileURL(hook));
}
