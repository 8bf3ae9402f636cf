import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { writeAnswer } from '../http/problem.js';
import { rememberTenant } from '../http/request-tenant.js';
import {
  decideTenant,
  type TenantOptions as NeutralTenantOptions,
  type TenantResolver as NeutralTenantResolver,
  resolveTenantOptions,
  type TenantDecision,
} from '../http/tenant-resolution.js';
import { enterTenant } from '../tenant/context.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';

export type { TenantResolution } from '../http/tenant-resolution.js';
export { TENANT_DEFAULTS, tenantFromHeaders } from '../http/tenant-resolution.js';

/**
 * Reads the tenant from an authenticated request, synchronously or not. It
 * may throw an `InvalidTenantError` (answered with 400); any other error goes
 * to the Express error handler.
 */
export type TenantResolver = NeutralTenantResolver<Request>;

/** Options of {@link tenant}. */
export type TenantOptions = NeutralTenantOptions<Request>;

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
  const resolved = resolveTenantOptions(options, 'tenant');
  return function tenantMiddleware(req: Request, res: Response, next: NextFunction): void {
    const decision = decideTenant(resolved, req);
    if (decision instanceof Promise) {
      decision.then((decided) => act(decided, req, res, next));
    } else {
      act(decision, req, res, next);
    }
  };
}

function act(decision: TenantDecision, req: Request, res: Response, next: NextFunction): void {
  switch (decision.kind) {
    case 'enter':
      rememberTenant(req, decision.tenant);
      // `next` itself, not a closure calling it: enterTenant calls it with no arguments.
      enterTenant(decision.tenant, next);
      return;
    case 'pass':
      next();
      return;
    case 'refuse':
      writeAnswer(res, decision.answer);
      return;
    case 'fail':
      next(decision.error);
  }
}
