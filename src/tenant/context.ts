import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, createContextKey } from '@opentelemetry/api';
import type { Tenant, TenantInput } from './types.js';
import { resolveTenant } from './validate.js';

/**
 * The tenant lives in its own OpenTelemetry context key, never in baggage:
 * baggage arrives from callers and leaves for every downstream, so it can be
 * neither trusted nor kept private.
 */
const TENANT_KEY = createContextKey('bulwark.tenant');

/**
 * What bulwark carries through one asynchronous flow in its own
 * AsyncLocalStorage: the tenant, and the idempotent operation being executed
 * (`getOperation()` in `src/idempotency/operation.ts`, which owns its type).
 */
interface Frame {
  readonly tenant: Tenant | undefined;
  readonly operation: unknown;
}

/**
 * One AsyncLocalStorage for both. Without a registered OTel SDK the API's
 * context manager is a no-op and `context.with` carries nothing, yet
 * idempotency scoping and metrics still need the tenant; and the operation
 * must reach the handler whatever the SDK. On Node 22 every AsyncLocalStorage
 * in use costs on every promise and tick of the process, so the two share
 * one (the http-server benchmark). It is kept under a `Symbol.for` key: the
 * handler and the `bulwark/fetch` it calls must see the same operation even
 * when a bundler gave them two copies of this module.
 */
const STORE = Symbol.for('bulwark.flow.v1');
const registry = globalThis as { [STORE]?: AsyncLocalStorage<Frame> };
registry[STORE] ??= new AsyncLocalStorage<Frame>();
const flow: AsyncLocalStorage<Frame> = registry[STORE];

/**
 * Runs `fn` (sync or async) with `tenant` as the active tenant, and returns
 * what `fn` returns. Inside a tenant already active, fields given here replace
 * the outer ones and the rest are kept. Throws an `InvalidTenantError` (codes
 * `BULWARK_INVALID_TENANT_ID`, `BULWARK_INVALID_JURISDICTION`,
 * `BULWARK_INVALID_TRANSACTION_TYPE`) before running anything when a field is invalid.
 *
 * @example
 * await withTenant({ tenantId: 'acme', jurisdiction: 'DE' }, () => payout(req));
 */
export function withTenant<T>(tenant: TenantInput | Partial<TenantInput>, fn: () => T): T {
  return enterTenant(resolveTenant(tenant, getTenant()), fn);
}

/**
 * Runs `fn` with `tenant`, which must come from `resolveTenant` (already
 * validated and merged with the outer tenant). For `tenant()`, which has
 * just resolved the tenant and would otherwise validate it twice.
 */
export function enterTenant<T>(tenant: Tenant, fn: () => T): T {
  const frame: Frame = { tenant, operation: flow.getStore()?.operation };
  return flow.run(frame, runInTenantContext, tenant, fn);
}

// Module-level rather than a closure per call: this runs on every request.
function runInTenantContext<T>(tenant: Tenant, fn: () => T): T {
  return context.with(context.active().setValue(TENANT_KEY, tenant), fn);
}

/** The active tenant, or `undefined` outside any `withTenant`. */
export function getTenant(): Tenant | undefined {
  return tenantInContext(context.active()) ?? flow.getStore()?.tenant;
}

/**
 * The tenant carried by one OTel context, such as the parent context a span
 * processor receives; `undefined` when that context carries none.
 */
export function tenantInContext(ctx: Context): Tenant | undefined {
  return ctx.getValue(TENANT_KEY) as Tenant | undefined;
}

/**
 * Runs `fn` with `operation` as the active operation, keeping the active
 * tenant. Only `src/idempotency/operation.ts` calls this; it owns the type.
 */
export function enterOperation<T>(operation: unknown, fn: () => T): T {
  return flow.run({ tenant: flow.getStore()?.tenant, operation }, fn);
}

/** The operation {@link enterOperation} made active, or `undefined` outside one. */
export function activeOperation(): unknown {
  return flow.getStore()?.operation;
}
