import { IncomingMessage } from 'node:http';
import { invalidOption, isBulwarkError } from '../errors.js';
import { getTenant } from '../tenant/context.js';
import type { Tenant, TenantInput } from '../tenant/types.js';
import { InvalidTenantError, resolveTenant, type TenantField } from '../tenant/validate.js';
import { headerLines, REPEATED_HEADER, soleHeaderLine } from './header-lines.js';
import type { HttpAnswer } from './problem.js';
import { answerOf, PROBLEMS } from './problem-table.js';
import { invalidTenantOccurrence, MISSING_TENANT, tenantFieldOf } from './tenant-problem.js';

/** What a tenant resolver returns: the tenant fields, or `undefined` when the request names none. */
export type TenantResolution = Partial<TenantInput> | undefined;

/**
 * Reads the tenant from an authenticated request (the framework's request
 * object), synchronously or not. It may throw an `InvalidTenantError`
 * (answered with 400); any other error goes to the framework's error handler.
 */
export type TenantResolver<Req = IncomingMessage> = (
  req: Req,
) => TenantResolution | PromiseLike<TenantResolution>;

/** Options of tenant resolution (`tenant()` on Express, `tenant` of the Fastify plugin). */
export interface TenantOptions<Req = IncomingMessage> {
  /**
   * Where the tenant comes from. Default {@link tenantFromHeaders}, which
   * trusts `X-Tenant-Id` / `X-Jurisdiction` / `X-Transaction-Type`: right only
   * behind a gateway that authenticates the caller and sets those headers.
   * Otherwise read the tenant from your verified credentials (`req.user`, ...).
   * A resolution without a `tenantId` means "no tenant" (its other fields are ignored).
   */
  resolve?: TenantResolver<Req>;
  /** Whether a request that names no tenant is refused with 400. Default `true`. */
  required?: boolean;
}

/** Defaults of {@link TenantOptions}. */
export const TENANT_DEFAULTS = {
  resolve: tenantFromHeaders,
  required: true,
} as const;

/** What to do with one request: run it inside `tenant`, run it without one, refuse it, or fail it. */
export type TenantDecision =
  | { readonly kind: 'enter'; readonly tenant: Tenant }
  | { readonly kind: 'pass' }
  | { readonly kind: 'refuse'; readonly answer: HttpAnswer }
  | { readonly kind: 'fail'; readonly error: unknown };

const HEADERS: Readonly<Record<TenantField, string>> = {
  tenantId: 'x-tenant-id',
  jurisdiction: 'x-jurisdiction',
  transactionType: 'x-transaction-type',
};

/**
 * The default resolver: `X-Tenant-Id`, `X-Jurisdiction` and
 * `X-Transaction-Type`. A header sent twice is refused rather than joined or
 * guessed from. `baggage` is never read: a caller must not choose its tenant.
 * Takes Node's request (Fastify's `request.raw`; an Express `req` is one).
 */
export function tenantFromHeaders(
  req: IncomingMessage | { readonly raw: IncomingMessage },
): TenantResolution {
  const raw = nodeRequestOf(req);
  const tenantId = singleHeader(raw, 'tenantId');
  if (tenantId === undefined) return undefined;
  const resolution: Partial<TenantInput> = { tenantId };
  const jurisdiction = singleHeader(raw, 'jurisdiction');
  if (jurisdiction !== undefined) resolution.jurisdiction = jurisdiction;
  const transactionType = singleHeader(raw, 'transactionType');
  if (transactionType !== undefined) resolution.transactionType = transactionType;
  return resolution;
}

/**
 * Node's request behind `req`. Tested with `instanceof` first, which follows
 * prototype links only: `'raw' in req` looks the name up along the whole
 * chain of an Express `req`, whose hidden class is new on every request, so
 * it costs far more (scenario `http-server`, `benchmarks/profile/in-process.mjs --profile`).
 */
function nodeRequestOf(req: IncomingMessage | { readonly raw: IncomingMessage }): IncomingMessage {
  if (req instanceof IncomingMessage) return req;
  return 'raw' in req ? req.raw : req;
}

function singleHeader(req: IncomingMessage, field: TenantField): string | undefined {
  const name = HEADERS[field];
  const value = soleHeaderLine(req, name);
  if (value === REPEATED_HEADER) {
    throw new InvalidTenantError(field, headerLines(req, name)?.length, `a single ${name} header`);
  }
  return value;
}

/** Resolved tenant options. */
export interface ResolvedTenantOptions<Req> {
  readonly resolve: TenantResolver<Req>;
  readonly required: boolean;
}

/** Applies defaults and validates, once; errors name `scope`. */
export function resolveTenantOptions<Req>(
  options: TenantOptions<Req>,
  scope: string,
): ResolvedTenantOptions<Req> {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(scope, 'options', options, 'an options object or undefined');
  }
  const resolve = options.resolve ?? (TENANT_DEFAULTS.resolve as TenantResolver<Req>);
  if (typeof resolve !== 'function') {
    throw invalidOption(scope, 'resolve', resolve, 'a function (req) => tenant');
  }
  const required = options.required ?? TENANT_DEFAULTS.required;
  if (typeof required !== 'boolean') {
    throw invalidOption(scope, 'required', required, 'a boolean');
  }
  return { resolve, required };
}

/**
 * Decides what one request's tenant is. Synchronous when the resolver is (the
 * usual header resolver), so the common request needs no extra promise.
 */
export function decideTenant<Req>(
  options: ResolvedTenantOptions<Req>,
  req: Req,
): TenantDecision | Promise<TenantDecision> {
  let resolution: TenantResolution | PromiseLike<TenantResolution>;
  try {
    resolution = options.resolve(req);
  } catch (error) {
    return refusal(error);
  }
  if (!isThenable(resolution)) return decision(resolution, options.required);
  return Promise.resolve(resolution).then(
    (resolved) => decision(resolved, options.required),
    (error: unknown) => refusal(error),
  );
}

function decision(resolution: TenantResolution, required: boolean): TenantDecision {
  if (resolution?.tenantId === undefined || resolution.tenantId === null) {
    if (!required) return { kind: 'pass' };
    return { kind: 'refuse', answer: answerOf(PROBLEMS.tenantRequired, MISSING_TENANT) };
  }
  try {
    return { kind: 'enter', tenant: resolveTenant(resolution, getTenant()) };
  } catch (error) {
    return refusal(error);
  }
}

// Any thenable, not only this realm's Promise: resolvers may come from other libraries.
function isThenable(value: unknown): value is PromiseLike<TenantResolution> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** An invalid tenant field is the client's mistake (400); anything else is the framework's to handle. */
function refusal(error: unknown): TenantDecision {
  const field = isBulwarkError(error) ? tenantFieldOf(error.code) : undefined;
  if (field === undefined || !isBulwarkError(error)) return { kind: 'fail', error };
  return {
    kind: 'refuse',
    answer: answerOf(PROBLEMS.invalidTenant, invalidTenantOccurrence(error.code, field)),
  };
}
