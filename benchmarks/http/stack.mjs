/**
 * The full bulwark Express stack as the README wires it: `requestMetrics()`
 * and `tenant()` before the body parser, `idempotency({ store })` after it
 * (it fingerprints the parsed body), `errorHandler()` after the routes, plus
 * bulwark's tenant span processor on the SDK when `bulwark/otel` exports one.
 */
import { requireExports } from '../load.mjs';

/**
 * Resolves `{ beforeBody, afterBody, afterRoutes, spanProcessors }` for `store`, or
 * `{ skip: reason }` when a middleware is not exported yet. `without` names
 * parts left out (`metrics`, `tenant`, `idempotency`: see {@link bulwarkVariant}).
 */
export async function bulwarkStack(store, without = []) {
  const names = ['tenant', 'requestMetrics', 'idempotency', 'errorHandler'];
  const express = await requireExports('express', names);
  if (!express.ok) return { skip: express.reason };
  const { tenant, requestMetrics, idempotency, errorHandler } = express.exports;
  const mounted = (name, make) => (without.includes(name) ? [] : [make()]);
  return {
    beforeBody: [
      ...mounted('metrics', () => requestMetrics()),
      ...mounted('tenant', () => tenant()),
    ],
    afterBody: mounted('idempotency', () => idempotency({ store })),
    afterRoutes: [errorHandler()],
    spanProcessors: await tenantSpanProcessors(),
  };
}

/** The parts of the bulwark stack or plugin a variant may leave out. */
export const PARTS = ['idempotency', 'metrics', 'tenant'];

/**
 * Reads a server variant `bulwark-<store>[-without-<part>]` (for example
 * `bulwark-memory-without-idempotency`): `{ store, without }`, `without` a
 * list of {@link PARTS}, empty for the whole stack. Leaving one part out at a
 * time under load is how `profile/load-cost.mjs --parts` tells what each costs.
 */
export function bulwarkVariant(variant) {
  const match = /^bulwark-([a-z]+)(?:-without-([a-z]+))?$/.exec(variant);
  if (match === null || (match[2] !== undefined && !PARTS.includes(match[2]))) {
    throw new Error(`unknown variant ${variant}`);
  }
  return { store: match[1], without: match[2] === undefined ? [] : [match[2]] };
}

async function tenantSpanProcessors() {
  const otel = await requireExports('otel', ['TenantSpanProcessor']);
  return otel.ok ? [new otel.exports.TenantSpanProcessor()] : [];
}
