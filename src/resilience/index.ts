/**
 * `bulwark/resilience`: building blocks beyond `resilient()`: the single-layer
 * policies (each one cockatiel `IPolicy`, to compose with `wrap()`), the event
 * names, and the contract a shared breaker store implements (`RedisBreakerState`
 * in `bulwark/redis` is one). Loads nothing beyond the root entry's dependencies.
 */

export type { Jitter } from './backoff.js';
export type { BreakerSnapshotEntry } from './breaker-snapshot.js';
export type { BreakerOrigin, ResilienceEventNameValue } from './events.js';
export { ResilienceEventName } from './events.js';
export type { SingleLayerOptions } from './policies.js';
export {
  attemptTimeoutPolicy,
  breakerPolicy,
  bulkheadPolicy,
  deadlinePolicy,
  retryPolicy,
} from './policies.js';
export { MAX_RETRIES } from './retry-options.js';
export type {
  FleetBreakerState,
  SharedBreakerChannel,
  SharedBreakerListener,
} from './shared-state.js';
