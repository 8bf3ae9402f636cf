import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { invalidOption, isBulwarkError } from '../errors.js';
import { enterTenant, getTenant } from '../tenant/context.js';
import type { Tenant, TenantInput } from '../tenant/types.js';
import { InvalidTenantError, resolveTenant, type TenantField } from '../tenant/validate.js';
import { headerLines } from './header-lines.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { sendProblem } from './problem.js';
import { rememberTenant } from './request-tenant.js';
import { invalidTenantProblem, missingTenantProblem, tenantFieldOf } from './tenant-problem.js';

/** What a tenant resolver returns: the tenant fields, or `undefined` when the request names none. */
export type TenantResolution = Partial<TenantInput> | undefined;

/**
 * Reads the tenant from an authenticated request, synchronously or not. It
 * may throw an `InvalidTenantError` (answered with 400); any other error goes
 * to the Express error handler.
 */
export type TenantResolver = (req: Request) => TenantResolution | Promise<TenantResolution>;

/** Options of {@link tenant}. */
export interface TenantOptions {
  /**
   * Where the tenant comes from. Default {@link tenantFromHeaders}, which
   * trusts `X-Tenant-Id` / `X-Jurisdiction` / `X-Transaction-Type`: right only
   * behind a gateway that authenticates the caller and sets those headers.
   * Otherwise read the tenant from your verified credentials (`req.user`, ...).
   * A resolution without a `tenantId` means "no tenant" (its other fields are ignored).
   */
  resolve?: TenantResolver;
  /** Whether a request that names no tenant is refused with 400. Default `true`. */
  required?: boolean;
}

/** Defaults of {@link TenantOptions}. */
export const TENANT_DEFAULTS = {
  resolve: tenantFromHeaders,
  required: true,
} as const satisfies Required<TenantOptions>;

const HEADERS: Readonly<Record<TenantField, string>> = {
  tenantId: 'x-tenant-id',
  jurisdiction: 'x-jurisdiction',
  transactionType: 'x-transaction-type',
};

/**
 * The default resolver: `X-Tenant-Id`, `X-Jurisdiction` and
 * `X-Transaction-Type`. A header sent twice is refused rather than joined or
 * guessed from. `baggage` is never read: a caller must not choose its tenant.
 */
export function tenantFromHeaders(req: IncomingMessage): TenantResolution {
  const tenantId = singleHeader(req, 'tenantId');
  if (tenantId === undefined) return undefined;
  const resolution: Partial<TenantInput> = { tenantId };
  const jurisdiction = singleHeader(req, 'jurisdiction');
  if (jurisdiction !== undefined) resolution.jurisdiction = jurisdiction;
  const transactionType = singleHeader(req, 'transactionType');
  if (transactionType !== undefined) resolution.transactionType = transactionType;
  return resolution;
}

function singleHeader(req: IncomingMessage, field: TenantField): string | undefined {
  const values = headerLines(req, HEADERS[field]);
  if (values === undefined) return undefined;
  if (values.length !== 1) {
    throw new InvalidTenantError(field, values.length, `a single ${HEADERS[field]} header`);
  }
  return values[0];
}

/**
 * Express middleware that resolves who the request is for, validates it, and
 * runs the rest of the request (every later middleware, async handlers, the
 * response finishing) inside `withTenant`. Invalid fields get a 400
 * problem+json naming the `field`; so does a missing tenant unless
 * `required: false`.
 *
 * @example
 * app.use(tenant({ resolve: (req) => ({ tenantId: req.user.org, jurisdiction: req.user.country }) }));
 */
export function tenant(options: TenantOptions = {}): RequestHandler {
  // biome-ignore lint/complexity/noArguments: the guard needs the real argument count.
  rejectMiddlewareMisuse('tenant', arguments);
  const { resolve, required } = resolveOptions(options);
  return function tenantMiddleware(req: Request, res: Response, next: NextFunction): void {
    let resolution: TenantResolution | Promise<TenantResolution>;
    try {
      resolution = resolve(req);
    } catch (error) {
      refuse(error, res, next);
      return;
    }
    if (isThenable(resolution)) {
      resolution.then(
        (resolved) => enter(resolved, required, req, res, next),
        (error: unknown) => refuse(error, res, next),
      );
    } else {
      enter(resolution, required, req, res, next);
    }
  };
}

function enter(
  resolution: TenantResolution,
  required: boolean,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (resolution?.tenantId === undefined || resolution.tenantId === null) {
    if (required) sendProblem(res, missingTenantProblem());
    else next();
    return;
  }
  let resolved: Tenant;
  try {
    resolved = resolveTenant(resolution, getTenant());
  } catch (error) {
    refuse(error, res, next);
    return;
  }
  rememberTenant(req, resolved);
  enterTenant(resolved, () => next());
}

// Any thenable, not only this realm's Promise: resolvers may come from other libraries.
function isThenable(value: unknown): value is PromiseLike<TenantResolution> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function refuse(error: unknown, res: Response, next: NextFunction): void {
  const field = isBulwarkError(error) ? tenantFieldOf(error.code) : undefined;
  if (field === undefined || !isBulwarkError(error)) next(error);
  else sendProblem(res, invalidTenantProblem(error, field));
}

function resolveOptions(options: TenantOptions): Required<TenantOptions> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('tenant', 'options', options, 'an options object or undefined');
  }
  const resolve = options.resolve ?? TENANT_DEFAULTS.resolve;
  if (typeof resolve !== 'function') {
    throw invalidOption('tenant', 'resolve', resolve, 'a function (req) => tenant');
  }
  const required = options.required ?? TENANT_DEFAULTS.required;
  if (typeof required !== 'boolean') {
    throw invalidOption('tenant', 'required', required, 'a boolean');
  }
  return { resolve, required };
}
