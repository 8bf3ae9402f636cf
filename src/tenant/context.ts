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
  return context.with(
    context.active().setValue(TENANT_KEY, tenant),
    runInFlow<T>,
    undefined,
    tenant,
    fn,
  );
}

/**
 * Runs `fn` in a flow frame carrying `tenant`, unless the OTel context
 * already carries it and the frame has no tenant of its own: `getTenant()`
 * reads the OTel context first, so a second frame would only repeat it, and
 * entering one is most of what `tenant()` costs per request besides the OTel
 * context (the http-server benchmark). Skipped only over a frame without a
 * tenant, so the frame's tenant, where one is read (a context the app reset
 * to the root), is never an outer tenant in place of this one.
 * Module-level rather than a closure per call: this runs on every request.
 */
function runInFlow<T>(tenant: Tenant, fn: () => T): T {
  const frame = flow.getStore();
  if (frame?.tenant === undefined && tenantInContext(context.active()) === tenant) return fn();
  return flow.run({ tenant, operation: frame?.operation }, fn);
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
  // `getTenant()`, not the frame's: the active tenant may be in the OTel context only (see `runInFlow`).
  return flow.run({ tenant: getTenant(), operation }, fn);
}

/** The operation {@link enterOperation} made active, or `undefined` outside one. */
export function activeOperation(): unknown {
  return flow.getStore()?.operation;
}
