/**
 * The full bulwark Express stack as the README wires it: `requestMetrics()`
 * and `tenant()` before the body parser, `idempotency({ store })` after it
 * (it fingerprints the parsed body), `errorHandler()` after the routes, plus
 * bulwark's tenant span processor on the SDK when `bulwark/otel` exports one.
 */
import { requireExports } from '../load.mjs';

/**
 * Resolves `{ beforeBody, afterBody, afterRoutes, spanProcessors }` for `store`, or
 * `{ skip: reason }` when a middleware is not exported yet.
 */
export async function bulwarkStack(store) {
  const names = ['tenant', 'requestMetrics', 'idempotency', 'errorHandler'];
  const express = await requireExports('express', names);
  if (!express.ok) return { skip: express.reason };
  const { tenant, requestMetrics, idempotency, errorHandler } = express.exports;
  return {
    beforeBody: [requestMetrics(), tenant()],
    afterBody: [idempotency({ store })],
    afterRoutes: [errorHandler()],
    spanProcessors: await tenantSpanProcessors(),
  };
}

async function tenantSpanProcessors() {
  const otel = await requireExports('otel', ['TenantSpanProcessor']);
  return otel.ok ? [new otel.exports.TenantSpanProcessor()] : [];
}
