import { describe, expect, it } from 'vitest';
import { ErrorCode, isBulwarkError, type ResilientOptions, resilient } from '../../src/index.js';

function rejection(options: unknown): string {
  try {
    resilient('bank', options as ResilientOptions);
  } catch (error) {
    expect(isBulwarkError(error, ErrorCode.InvalidOptions)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the options to be rejected');
}

describe('option validation at construction', () => {
  it.each([
    [{ retry: { baseDelayMs: 0 } }, 'retry.baseDelayMs'],
    [{ retry: { maxDelayMs: 0 } }, 'retry.maxDelayMs'],
    [{ retry: { maxRetries: 11 } }, 'retry.maxRetries'],
    [{ retry: { maxRetries: Number.POSITIVE_INFINITY } }, 'retry.maxRetries'],
    [{ retry: { maxRetries: 1.5 } }, 'retry.maxRetries'],
    [{ retry: { maxRetries: -1 } }, 'retry.maxRetries'],
    [{ retry: { jitter: 'none' } }, 'retry.jitter'],
    [{ retry: { shouldRetry: true } }, 'retry.shouldRetry'],
    [{ retry: { budget: { ratio: 2 } } }, 'retry.budget.ratio'],
    [{ retry: { budget: { windowMs: -5 } } }, 'retry.budget.windowMs'],
    [{ deadline: { totalTimeoutMs: -1 } }, 'deadline.totalTimeoutMs'],
    [{ deadline: { totalTimeoutMs: Number.NaN } }, 'deadline.totalTimeoutMs'],
    [{ attemptTimeout: { timeoutMs: 40_000 } }, 'attemptTimeout.timeoutMs'],
    [{ breaker: { failureRatio: 0 } }, 'breaker.failureRatio'],
    [{ breaker: { minimumCalls: 0 } }, 'breaker.minimumCalls'],
    [{ breaker: { breakDurationMs: 0 } }, 'breaker.breakDurationMs'],
    [{ breaker: { halfOpenProbes: 0 } }, 'breaker.halfOpenProbes'],
    [{ breaker: { mode: 'sampling' } }, 'breaker.mode'],
    [{ breaker: { maxKeys: 0 } }, 'breaker.maxKeys'],
    [{ bulkhead: { maxConcurrent: 0 } }, 'bulkhead.maxConcurrent'],
    [{ bulkhead: { maxQueued: -1 } }, 'bulkhead.maxQueued'],
    [{ bulkhead: { queueTimeoutMs: 0 } }, 'bulkhead.queueTimeoutMs'],
    [{ retry: { maxRetires: 3 } }, 'retry.maxRetires'],
    [{ retrys: {} }, 'retrys'],
    [{ retry: true }, 'retry'],
    [{ inner: {} }, 'inner'],
  ])('rejects %j naming %s', (options, field) => {
    expect(rejection(options)).toContain(`"${field}"`);
  });

  it('rejects zero-delay retries whatever the jitter', () => {
    expect(rejection({ retry: { baseDelayMs: 0, jitter: 'full' } })).toContain('retry.baseDelayMs');
  });

  it('rejects an empty name', () => {
    expect(() => resilient('')).toThrow(/name/);
  });

  it('accepts an attempt timeout equal to the deadline and every layer switched off', () => {
    expect(() => resilient('bank', { attemptTimeout: { timeoutMs: 30_000 } })).not.toThrow();
    expect(() =>
      resilient('bank', {
        bulkhead: false,
        deadline: false,
        retry: false,
        breaker: false,
        attemptTimeout: false,
      }),
    ).not.toThrow();
  });

  it('treats a field set to undefined as its default', () => {
    expect(() =>
      resilient('bank', {
        retry: { maxRetries: undefined, budget: { ratio: undefined } },
        breaker: { failureRatio: undefined, maxKeys: undefined },
        bulkhead: { maxConcurrent: undefined },
        deadline: { totalTimeoutMs: undefined },
        attemptTimeout: { timeoutMs: undefined },
      }),
    ).not.toThrow();
  });

  it('cuts the default attempt timeout to a shorter deadline instead of rejecting it', () => {
    expect(() => resilient('bank', { deadline: { totalTimeoutMs: 2_000 } })).not.toThrow();
  });
});
