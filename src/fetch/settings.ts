import { randomUUID } from 'node:crypto';
import { keyByTenant } from '../resilience/keys.js';
import type { ResilientOptions } from '../resilience/resilient.js';
import { isTransientError } from '../resilience/transient.js';
import { FETCH_DEFAULTS, type FetchOptions } from './options.js';
import { RetryableResponseError } from './retryable-response.js';

/** {@link FetchOptions} with every default applied, resolved once per `createFetch()`. */
export interface FetchSettings {
  readonly name: string;
  readonly resilience: ResilientOptions;
  readonly addIdempotencyKey: boolean;
  readonly idempotencyKeyHeader: string;
  readonly generateKey: () => string;
  readonly maxBufferedBodyBytes: number;
  readonly deadlineHeader: string | false;
  readonly spans: 'attempt' | 'call' | false;
}

/** Applies the defaults to `options`; validation happened before. */
export function resolveSettings(options: FetchOptions): FetchSettings {
  const resilience = options.resilience ?? {};
  const userRetry = resilience.retry;
  return {
    name: options.name ?? FETCH_DEFAULTS.name,
    resilience: {
      ...resilience,
      bulkhead:
        resilience.bulkhead === false
          ? false
          : { ...FETCH_DEFAULTS.bulkhead, keyBy: keyByTenant, ...resilience.bulkhead },
      retry: userRetry === false ? false : { shouldRetry: retryableFailure, ...userRetry },
    },
    addIdempotencyKey: options.addIdempotencyKey ?? FETCH_DEFAULTS.addIdempotencyKey,
    idempotencyKeyHeader: options.idempotencyKeyHeader ?? FETCH_DEFAULTS.idempotencyKeyHeader,
    generateKey: options.generateKey ?? randomUUID,
    maxBufferedBodyBytes: options.maxBufferedBodyBytes ?? FETCH_DEFAULTS.maxBufferedBodyBytes,
    deadlineHeader: options.deadlineHeader ?? FETCH_DEFAULTS.deadlineHeader,
    spans: options.spans ?? FETCH_DEFAULTS.spans,
  };
}

/** A status that says "try again" is retried like a transient network error. */
function retryableFailure(error: unknown): boolean {
  return error instanceof RetryableResponseError || isTransientError(error);
}
