import { describe, expect, it } from 'vitest';
import { isRepeatable, isRetryableStatus } from '../../src/fetch/methods.js';
import { parseRetryAfter } from '../../src/fetch/retry-after.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads delay-seconds', () => expect(parseRetryAfter('3', now)).toBe(3000));
  it('reads an HTTP date', () =>
    expect(parseRetryAfter('Thu, 26 Nov 2026 12:00:05 GMT', now)).toBe(5000));
  it('clamps a past date to zero', () =>
    expect(parseRetryAfter('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0));
  it('ignores garbage and negative numbers', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('which requests repeat', () => {
  it('repeats safe and idempotent methods, and POST/PATCH only with a key', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
      expect(isRepeatable(method, false)).toBe(true);
    expect(isRepeatable('POST', false)).toBe(false);
    expect(isRepeatable('PATCH', false)).toBe(false);
    expect(isRepeatable('POST', true)).toBe(true);
  });

  it('retries 408/429/502/503/504, 409 only with a key, never 400/401/403/404/422/500', () => {
    for (const status of [408, 429, 502, 503, 504])
      expect(isRetryableStatus(status, false)).toBe(true);
    expect(isRetryableStatus(409, true)).toBe(true);
    expect(isRetryableStatus(409, false)).toBe(false);
    for (const status of [400, 401, 403, 404, 422, 500, 200, 201])
      expect(isRetryableStatus(status, true)).toBe(false);
  });
});
