import type { BreakerOptions } from './breaker-options.js';
import type { BulkheadOptions } from './bulkhead.js';
import type { ResilientPipeline } from './pipeline.js';
import {
  type AttemptTimeoutOptions,
  type DeadlineOptions,
  type ResilientOptions,
  resilient,
} from './resilient.js';
import type { RetryOptions } from './retry-options.js';

/**
 * Single-layer pipelines: each is `resilient(name, ...)` with every other
 * layer switched off, so it behaves exactly like that layer inside a full
 * pipeline and composes with cockatiel's `wrap()` as an `IPolicy`.
 */

const NONE = {
  bulkhead: false,
  deadline: false,
  retry: false,
  breaker: false,
  attemptTimeout: false,
} as const satisfies ResilientOptions;

/** Shared options of the single-layer factories. */
export interface SingleLayerOptions {
  /** Report metrics and span events through the OTel API. Default true. */
  telemetry?: boolean;
}

/** A bulkhead alone. @example `const pool = bulkheadPolicy('ledger', { maxConcurrent: 10 });` */
export function bulkheadPolicy(
  name: string,
  options: BulkheadOptions & SingleLayerOptions = {},
): ResilientPipeline {
  const { telemetry, ...bulkhead } = options;
  return resilient(name, { ...NONE, bulkhead, telemetry });
}

/** A total deadline alone. @example `deadlinePolicy('report', { totalTimeoutMs: 5_000 })` */
export function deadlinePolicy(
  name: string,
  options: DeadlineOptions & SingleLayerOptions = {},
): ResilientPipeline {
  const { telemetry, ...deadline } = options;
  return resilient(name, { ...NONE, deadline, telemetry });
}

/** Retries alone (no deadline: bounded by `maxRetries` and the budget). */
export function retryPolicy(
  name: string,
  options: RetryOptions & SingleLayerOptions = {},
): ResilientPipeline {
  const { telemetry, ...retry } = options;
  return resilient(name, { ...NONE, retry, telemetry });
}

/** A circuit breaker alone (keyed by the call's `key` by default). */
export function breakerPolicy(
  name: string,
  options: BreakerOptions & SingleLayerOptions = {},
): ResilientPipeline {
  const { telemetry, ...breaker } = options;
  return resilient(name, { ...NONE, breaker, telemetry });
}

/** An attempt timeout alone (one attempt, no deadline). */
export function attemptTimeoutPolicy(
  name: string,
  options: AttemptTimeoutOptions & SingleLayerOptions = {},
): ResilientPipeline {
  const { telemetry, ...attemptTimeout } = options;
  return resilient(name, { ...NONE, attemptTimeout, telemetry });
}
