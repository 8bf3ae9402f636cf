import { BulwarkError, ErrorCode } from '../errors.js';

/**
 * Rejects a lease or retention that is not a positive integer of milliseconds.
 * Every store calls this before writing, because a record written with a zero,
 * negative or fractional expiry would either never expire (a key locked
 * forever) or be rounded by the store into something the caller did not ask for.
 */
export function assertDurationMs(scope: string, field: string, value: number): void {
  if (Number.isSafeInteger(value) && value > 0) return;
  throw new BulwarkError(
    ErrorCode.InvalidOptions,
    `${scope}: "${field}" must be a positive integer of milliseconds, got ${String(value)}`,
  );
}

/** Rejects an empty storage key or owner token. */
export function assertNonEmpty(scope: string, field: string, value: string): void {
  if (typeof value === 'string' && value.length > 0) return;
  throw new BulwarkError(
    ErrorCode.InvalidOptions,
    `${scope}: "${field}" must be a non-empty string, got ${JSON.stringify(value)}`,
  );
}
