import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, context, createContextKey } from '@opentelemetry/api';
import { contextWith } from './context-with.js';
import type { Tenant, TenantInput } from './types.js';
import { resolveTenant } from './validate.js';

/**
 * The tenant lives in its own OpenTelemetry context key, never in baggage:
 * baggage arrives from callers and leaves for every downstream, so it can be
 * neither trusted nor kept private.
 */
const TENANT_KEY = createContextKey('bulwark.tenant');

/**
 * The idempotent operation being executed (`getOperation()` in
 * `src/idempotency/operation.ts`, which owns its type). A `Symbol.for` key, as
 * every OTel context key: the handler and the `bulwark/fetch` it calls must
 * see the same operation even when a bundler gave them two copies of this module.
 */
const OPERATION_KEY = createContextKey('bulwark.operation.v1');

/**
 * What bulwark carries through one asynchronous flow in its own
 * AsyncLocalStorage, when the OTel context cannot: the tenant and the operation.
 */
interface Frame {
  readonly tenant: Tenant | undefined;
  readonly operation: unknown;
}

/**
 * Where the tenant and the operation ride. In the OTel context when a context
 * manager carries it (the SDK's): the tenant must be there for spans anyway.
 * Otherwise (no SDK: the API's no-op manager carries nothing, yet idempotency
 * scoping, metrics and the handler's operation still need them) in one
 * AsyncLocalStorage of bulwark's own, shared by both. On Node 22 every
 * AsyncLocalStorage in use costs on every promise and tick of the whole
 * process, and one that never ran costs nothing, so bulwark's is entered only
 * where the OTel context did not carry the value (the http-server benchmark).
 * Once a flow has a frame (it began without a carrying manager), every entry
 * inside it updates the frame too, so a frame never holds an outer value where
 * it is read (a context the app reset to the root). It is kept under a
 * `Symbol.for` key, for the same reason as {@link OPERATION_KEY}.
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
    contextWith(context.active(), TENANT_KEY, tenant),
    runInFlow<T>,
    undefined,
    tenant,
    fn,
  );
}

/** Runs `fn` in a flow frame carrying `tenant`, unless the OTel context carried it (see {@link flow}). */
function runInFlow<T>(tenant: Tenant, fn: () => T): T {
  const frame = flow.getStore();
  if (frame === undefined && tenantInContext(context.active()) === tenant) return fn();
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
 * Runs `fn(a, b)` with `operation` as the active operation, keeping the active
 * tenant. Only `src/idempotency/operation.ts` calls this; it owns the type.
 * The arguments are passed through rather than closed over: the engine enters
 * an operation on every idempotent request (the http-server benchmark).
 */
export function enterOperation<A, B, T>(operation: unknown, fn: (a: A, b: B) => T, a: A, b: B): T {
  return context.with(
    contextWith(context.active(), OPERATION_KEY, operation),
    runOperationInFlow<A, B, T>,
    undefined,
    operation,
    fn,
    a,
    b,
  );
}

/** Runs `fn(a, b)` in a flow frame carrying `operation`, unless the OTel context carried it (see {@link flow}). */
function runOperationInFlow<A, B, T>(operation: unknown, fn: (a: A, b: B) => T, a: A, b: B): T {
  const frame = flow.getStore();
  if (frame === undefined && context.active().getValue(OPERATION_KEY) === operation) {
    return fn(a, b);
  }
  return flow.run({ tenant: getTenant(), operation }, fn, a, b);
}

/** The operation {@link enterOperation} made active, or `undefined` outside one. */
export function activeOperation(): unknown {
  return context.active().getValue(OPERATION_KEY) ?? flow.getStore()?.operation;
}
