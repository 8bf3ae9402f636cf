import type { IncomingMessage } from 'node:http';
import type { Tenant } from '../tenant/types.js';

/*
 * The tenant `tenant()` resolved for each request. Middleware mounted before
 * `tenant()` (such as `requestMetrics()`) runs outside the tenant context, yet
 * still needs the tenant when the response finishes; this lets it find it.
 *
 * Two ways, the cheap one first. Usually `tenant()` runs synchronously inside
 * the `next()` of the metrics middleware (the mount order of the README): the
 * metrics middleware then holds out a slot while it calls `next()`, and
 * `tenant()` fills it. Otherwise (an asynchronous middleware or resolver in
 * between) the tenant goes into a WeakMap keyed by the request, so nothing
 * outlives the request. The slot spares every request a WeakMap entry (the
 * http-server benchmark).
 */

/** Where a middleware waiting for `req`'s tenant receives it. */
export interface TenantSlot {
  readonly req: IncomingMessage;
  tenant: Tenant | undefined;
  /** The slot held out around this one (two metrics middlewares in a row), set by {@link awaitTenant}. */
  outer?: TenantSlot | undefined;
}

const byRequest = new WeakMap<IncomingMessage, Tenant>();
let waiting: TenantSlot | undefined;

/**
 * Calls `fn` (the rest of the chain) with `slot` held out: a `tenant()`
 * resolving `slot.req` synchronously within it fills the slot.
 */
export function awaitTenant(slot: TenantSlot, fn: () => void): void {
  const outer = waiting;
  slot.outer = outer;
  waiting = slot;
  try {
    fn();
  } finally {
    waiting = outer;
  }
}

/** Records the tenant resolved for `req`: in every slot held out for it, else in the WeakMap. */
export function rememberTenant(req: IncomingMessage, tenant: Tenant): void {
  let handed = false;
  for (let slot = waiting; slot !== undefined; slot = slot.outer) {
    if (slot.req !== req) continue;
    slot.tenant = tenant;
    handed = true;
  }
  if (!handed) byRequest.set(req, tenant);
}

/** The tenant `tenant()` resolved for `req`, if any: in `slot` when it was handed over there. */
export function tenantOfRequest(req: IncomingMessage, slot?: TenantSlot): Tenant | undefined {
  return slot?.tenant ?? byRequest.get(req);
}
