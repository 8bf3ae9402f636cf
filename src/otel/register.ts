/**
 * `bulwark/otel/register`: zero-code start, for
 * `node --import bulwark/otel/register app.js`. Configured by the `OTEL_*`
 * environment alone, like `@opentelemetry/auto-instrumentations-node/register`,
 * with bulwark's additions: every span carries the tenant attributes, baggage is
 * not propagated unless `OTEL_PROPAGATORS` asks for it, and telemetry is flushed
 * on exit. Importing it has effects, which is why the package lists it under
 * `sideEffects`.
 */
import { startFromEnvironment } from './start-from-environment.js';

startFromEnvironment();
