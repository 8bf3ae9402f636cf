/**
 * `bulwark/idempotency`: the building blocks under `idempotency()`, for
 * advanced users who put idempotency keys on something other than an HTTP
 * framework bulwark adapts (a queue consumer, a gRPC method) or who write a
 * store: the engine, request fingerprints, storage keys, the client key parser
 * and the store contract. Loads nothing beyond the root entry's dependencies.
 */

export type { ClientKeyRefusal, ParsedClientKey } from './client-key.js';
export { MAX_CLIENT_KEY_LENGTH, parseClientKey } from './client-key.js';
export type {
  ExecutionOutcome,
  IdempotencyClaim,
  IdempotencyEngine,
  IdempotentOperation,
  IdempotentRequest,
  OperationResult,
} from './engine.js';
export { createIdempotencyEngine } from './engine.js';
export type { IdempotencyEngineOptions } from './engine-options.js';
export type { FingerprintBody, FingerprintInput } from './fingerprint.js';
export { requestFingerprint } from './fingerprint.js';
export type { MemoryStoreUsage } from './memory-store.js';
export type { IdempotencyOutcomeKind } from './outcomes.js';
export type { StorageKeyParts } from './storage-key.js';
export { idempotencyStorageKey } from './storage-key.js';
export type { ClaimRequest, ClaimResult, CompleteRequest, StoredResponse } from './store.js';
