/**
 * The full bulwark Express stack as the README wires it: `requestMetrics()`
 * and `tenant()` before the body parser, `idempotency({ store })` after it
 * (it fingerprints the parsed body), plus bulwark's tenant span processor on
 * the SDK when `bulwark/otel` exports one.
 */
import { requireExports } from '../load.mjs';

/**
 * Resolves `{ beforeBody, afterBody, spanProcessors }` for `store`, or
 * `{ skip: reason }` when a middleware is not exported yet.
 */
export async function bulwarkStack(store) {
  const express = await requireExports('express', ['tenant', 'requestMetrics', 'idempotency']);
  if (!express.ok) return { skip: express.reason };
  const { tenant, requestMetrics, idempotency } = express.exports;
  return {
    beforeBody: [requestMetrics(), tenant()],
    afterBody: [idempotency({ store })],
    spanProcessors: await tenantSpanProcessors(),
  };
}

async function tenantSpanProcessors() {
  const otel = await requireExports('otel', ['TenantSpanProcessor']);
  return otel.ok ? [new otel.exports.TenantSpanProcessor()] : [];
}
