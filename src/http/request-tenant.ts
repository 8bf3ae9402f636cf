import type { IncomingMessage } from 'node:http';
import type { Tenant } from '../tenant/types.js';

/**
 * The tenant `tenant()` resolved for each request. Middleware mounted before
 * `tenant()` (such as `requestMetrics()`) runs outside the tenant context, yet
 * still needs the tenant when the response finishes; this lets it find it.
 * A WeakMap, so nothing outlives the request.
 */
const byRequest = new WeakMap<IncomingMessage, Tenant>();

/** Records the tenant resolved for `req`. */
export function rememberTenant(req: IncomingMessage, tenant: Tenant): void {
  byRequest.set(req, tenant);
}

/** The tenant `tenant()` resolved for `req`, if any. */
export function tenantOfRequest(req: IncomingMessage): Tenant | undefined {
  return byRequest.get(req);
}
