import {
  BrokenCircuitError,
  BulkheadRejectedError,
  IsolatedCircuitError,
  TaskCancelledError,
} from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { BulwarkError, ErrorCode, isTransientError } from '../../src/index.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('isTransientError', () => {
  it.each(['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'EAI_AGAIN'])(
    'is true for the network error %s',
    (code) => {
      expect(isTransientError(withCode(code))).toBe(true);
    },
  );

  it("is true for undici's fetch failure, whose code sits on the cause", () => {
    const error = new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') });
    expect(isTransientError(error)).toBe(true);
  });

  it.each([408, 429, 502, 503, 504])('is true for HTTP %i', (status) => {
    expect(isTransientError(Object.assign(new Error(), { status }))).toBe(true);
    expect(isTransientError(Object.assign(new Error(), { statusCode: status }))).toBe(true);
  });

  it.each([400, 401, 404, 409, 422, 500])('is false for HTTP %i', (status) => {
    expect(isTransientError(Object.assign(new Error(), { status }))).toBe(false);
  });

  it('is true for an attempt timeout', () => {
    expect(isTransientError(new BulwarkError(ErrorCode.AttemptTimeout, 't'))).toBe(true);
  });

  it.each([
    ErrorCode.CircuitOpen,
    ErrorCode.BulkheadFull,
    ErrorCode.DeadlineExceeded,
    ErrorCode.RetryBudgetExhausted,
    ErrorCode.RetryAfterExceedsDeadline,
    ErrorCode.Aborted,
  ])('is false for %s, even when its cause is transient', (code) => {
    expect(isTransientError(new BulwarkError(code, 'x', { cause: withCode('ECONNRESET') }))).toBe(
      false,
    );
  });

  it("is false for cockatiel's own rejections, even when their cause is transient", () => {
    const cause = withCode('ECONNRESET');
    for (const error of [
      new BrokenCircuitError(),
      new IsolatedCircuitError(),
      new BulkheadRejectedError(1, 0),
      new TaskCancelledError(),
    ]) {
      Object.assign(error, { cause });
      expect(isTransientError(error)).toBe(false);
    }
  });

  it('is false for plain errors and non-errors', () => {
    expect(isTransientError(new Error('insufficient funds'))).toBe(false);
    expect(isTransientError('ECONNRESET')).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });
});
