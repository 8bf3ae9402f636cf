import { isBulwarkError } from '../errors.js';

/**
 * The `error.type` attribute of an error, low-cardinality by construction: a
 * bulwark code, a string `code` such as `ECONNRESET`, an HTTP status, or the
 * error's class name. Never the message, which may hold ids or amounts.
 */
export function errorType(error: unknown): string {
  if (isBulwarkError(error)) return error.code;
  if (typeof error !== 'object' || error === null) return '_OTHER';
  const { code, status, statusCode } = error as Record<string, unknown>;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
  if (typeof status === 'number') return String(status);
  if (typeof statusCode === 'number') return String(statusCode);
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' && /^[A-Za-z0-9_.]{1,64}$/.test(name) ? name : '_OTHER';
}
