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
export type { ClientKeyProblem, ParsedClientKey } from './idempotency/client-key.js';
export { MAX_CLIENT_KEY_LENGTH, parseClientKey } from './idempotency/client-key.js';
export type {
  ExecutionOutcome,
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
export type { MemoryStoreOptions } from './idempotency/memory-store.js';
export { MemoryStore } from './idempotency/memory-store.js';
export type {
  ClaimRequest,
  ClaimResult,
  CompleteRequest,
  IdempotencyStore,
  StoredResponse,
} from './idempotency/store.js';
