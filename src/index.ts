/**
 * bulwark: tenant context, resilience policies, the idempotency engine and its
 * embedded store, and errors. This entry loads `cockatiel` and
 * `@opentelemetry/api` only; optional peers live behind their own subpaths.
 */

export type { BulwarkErrorCode, BulwarkErrorOptions } from './errors.js';
// Errors
export { BulwarkError, ErrorCode, isBulwarkError } from './errors.js';
// Telemetry names
export { Attr, Metric } from './telemetry/attributes.js';
// Tenant context
export { getTenant, withTenant } from './tenant/context.js';
export type { Tenant, TenantInput } from './tenant/types.js';
export type { TenantField } from './tenant/validate.js';
export { InvalidTenantError } from './tenant/validate.js';

// Resilience

// Idempotency
export type { MemoryStoreOptions } from './idempotency/memory-store.js';
export { MemoryStore } from './idempotency/memory-store.js';
