/**
 * bulwark: tenant context, resilience policies, the idempotency engine and its
 * embedded store, and errors. This entry loads `cockatiel` and
 * `@opentelemetry/api` only; optional peers live behind their own subpaths.
 */

export type { BulwarkErrorCode } from './errors.js';
export { BulwarkError, ErrorCode, isBulwarkError } from './errors.js';
export type { MemoryStoreOptions } from './idempotency/memory-store.js';
export { MemoryStore } from './idempotency/memory-store.js';
export type { Operation } from './idempotency/operation.js';
export { getOperation } from './idempotency/operation.js';
export type { IdempotencyStore } from './idempotency/store.js';
export type { LogFields } from './logging/fields.js';
export { logFields } from './logging/fields.js';
export { logEvents } from './logging/log-events.js';
export type { BulwarkLogger, LogEventsOptions } from './logging/logger.js';
export type { BreakerOptions } from './resilience/breaker-options.js';
export type { BreakerSnapshot } from './resilience/breaker-snapshot.js';
export type { BulkheadOptions } from './resilience/bulkhead.js';
export type { CircuitState } from './resilience/circuit-breaker.js';
export type { AttemptContext, ExecuteOptions } from './resilience/context.js';
export type { ResilienceEvent } from './resilience/events.js';
export { keyByTenant } from './resilience/key-by-tenant.js';
export type { ResilientPipeline } from './resilience/pipeline.js';
export type {
  AttemptTimeoutOptions,
  DeadlineOptions,
  ResilientOptions,
} from './resilience/resilient.js';
export { resilient } from './resilience/resilient.js';
export type { RetryBudgetOptions, RetryOptions } from './resilience/retry-options.js';
export type { SharedBreakerState } from './resilience/shared-state.js';
export { isTransientError } from './resilience/transient.js';
export { Attr, Metric } from './telemetry/attributes.js';
export { getTenant, withTenant } from './tenant/context.js';
export type { Tenant, TenantInput } from './tenant/types.js';
export type { TenantField } from './tenant/validate.js';
export { InvalidTenantError } from './tenant/validate.js';
