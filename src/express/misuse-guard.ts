import { BulwarkError, ErrorCode } from '../errors.js';

/**
 * Catches `app.use(tenant)` (the factory passed instead of its result): Express
 * then calls the factory itself as middleware, with `(req, res, next)`. A
 * factory calls this first with its `arguments`; it throws an error that says
 * how to fix the mistake, and Express hands it to the error handler. Throwing
 * beats a silent `next()`, which would run the app without the middleware.
 *
 * @example
 * export function tenant(options?: TenantOptions) {
 *   rejectMiddlewareMisuse('tenant', arguments);
 * }
 */
export function rejectMiddlewareMisuse(factory: string, args: ArrayLike<unknown>): void {
  if (args.length < 2 && !looksLikeRequest(args[0])) return;
  throw new BulwarkError(
    ErrorCode.InvalidOptions,
    `${factory}() is a middleware factory and was used as middleware: ` +
      `write app.use(${factory}()), not app.use(${factory})`,
  );
}

function looksLikeRequest(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'socket' in value &&
    'headers' in value &&
    'method' in value
  );
}
