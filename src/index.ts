/**
 * bulwark: tenant context, resilience policies, the idempotency engine and its
 * embedded store, and errors. This entry loads `cockatiel` and
 * `@opentelemetry/api` only; optional peers live behind their own subpaths.
 */

export type { BulwarkErrorCode, BulwarkErrorOptions } from './errors.js';
export { BulwarkError, ErrorCode, isBulwarkError } from './errors.js';
export type { ClientKeyRefusal, ParsedClientKey } from './idempotency/client-key.js';
export { MAX_CLIENT_KEY_LENGTH, parseClientKey } from './idempotency/client-key.js';
export type {
  ExecutionOutcome,
  IdempotencyClaim,
  IdempotencyEngine,
  IdempotentOperation,
  IdempotentRequest,
  OperationResult,
} from './idempotency/engine.js';
export { createIdempotencyEngine } from './idempotency/engine.js';
export type { IdempotencyEngineOptions } from './idempotency/engine-options.js';
export { IDEMPOTENCY_ENGINE_DEFAULTS } from './idempotency/engine-options.js';
export type { FingerprintBody, FingerprintInput } from './idempotency/fingerprint.js';
export { canonicalJson, requestFingerprint } from './idempotency/fingerprint.js';
export type { StorageKeyParts } from './idempotency/key.js';
export { idempotencyStorageKey } from './idempotency/key.js';
export type { MemoryStoreOptions, MemoryStoreUsage } from './idempotency/memory-store.js';
export { MemoryStore } from './idempotency/memory-store.js';
export type { Operation } from './idempotency/operation.js';
export { getOperation } from './idempotency/operation.js';
export type {
  ClaimRequest,
  ClaimResult,
  CompleteRequest,
  IdempotencyStore,
  StoredResponse,
} from './idempotency/store.js';
export type { Jitter } from './resilience/backoff.js';
export type { BreakerOptions } from './resilience/breaker.js';
export { BREAKER_DEFAULTS, countsAgainstDownstream } from './resilience/breaker.js';
export type { BulkheadOptions } from './resilience/bulkhead.js';
export { BULKHEAD_DEFAULTS } from './resilience/bulkhead.js';
export type { CircuitState } from './resilience/circuit-breaker.js';
export type { AttemptContext, ExecuteOptions } from './resilience/context.js';
export type { ResilienceEvent, ResilienceEventNameValue } from './resilience/events.js';
export { ResilienceEventName } from './resilience/events.js';
export { keyByTenant } from './resilience/keys.js';
export type { ResilientPipeline } from './resilience/pipeline.js';
export type { SingleLayerOptions } from './resilience/policies.js';
export {
  attemptTimeoutPolicy,
  breakerPolicy,
  bulkheadPolicy,
  deadlinePolicy,
  retryPolicy,
} from './resilience/policies.js';
export type {
  AttemptTimeoutOptions,
  DeadlineOptions,
  ResilientOptions,
} from './resilience/resilient.js';
export { resilient, TIMEOUT_DEFAULTS } from './resilience/resilient.js';
export type { RetryBudgetOptions } from './resilience/retry-budget.js';
export { RETRY_BUDGET_DEFAULTS } from './resilience/retry-budget.js';
export type { RetryOptions } from './resilience/retry-options.js';
export { MAX_RETRIES, RETRY_DEFAULTS } from './resilience/retry-options.js';
export { isTransientError } from './resilience/transient.js';
export { Attr, Metric } from './telemetry/attributes.js';
export { getTenant, withTenant } from './tenant/context.js';
export type { Tenant, TenantInput } from './tenant/types.js';
export type { TenantField } from './tenant/validate.js';
export { InvalidTenantError } from './tenant/validate.js';
