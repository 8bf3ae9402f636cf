import { BulwarkError, ErrorCode } from '../errors.js';
import type { Tenant, TenantInput } from './types.js';

// Not dots alone: a tenant id becomes a path segment in store keys, log paths
// and URLs, where `.` and `..` mean "here" and "the parent".
const TENANT_ID = /^(?!\.+$)[A-Za-z0-9._:-]{1,64}$/;
/** What a tenant id must look like, in the words of every error that refuses one. */
export const TENANT_ID_EXPECTED = '1-64 characters of [A-Za-z0-9._:-], not dots alone';
// ISO 3166-1 alpha-2 (`DE`), optionally followed by the ISO 3166-2 subdivision
// suffix: a hyphen and 1-3 letters or digits (`US-NY`, `FR-75`, `GB-ENG`). The
// shape only, in ASCII, checked before upper-casing: "ß" or "ﬁ" upper-case into
// "SS" or "FI". Codes are not checked against the ISO list, which changes;
// metrics fold the values past their bound into `other` (see requestMetrics()).
const JURISDICTION = /^[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?$/;
/** What a jurisdiction must look like, in the words of every error that refuses one. */
export const JURISDICTION_EXPECTED =
  'an ISO 3166-1 alpha-2 code ("DE") or ISO 3166-2 subdivision ("US-NY": 1-3 letters or digits after the hyphen)';
const TRANSACTION_TYPE = /^[a-z0-9_.-]{1,64}$/;

/** The tenant field that failed validation. */
export type TenantField = 'tenantId' | 'jurisdiction' | 'transactionType';

/** Thrown when a tenant field is invalid; `field` names it, `code` names it too. */
export class InvalidTenantError extends BulwarkError {
  /** Which field was invalid. */
  readonly field: TenantField;

  constructor(field: TenantField, value: unknown, expected: string) {
    super(CODE_BY_FIELD[field], `invalid ${field} ${printable(value)}: expected ${expected}`);
    this.name = 'InvalidTenantError';
    this.field = field;
  }
}

const CODE_BY_FIELD = {
  tenantId: ErrorCode.InvalidTenantId,
  jurisdiction: ErrorCode.InvalidJurisdiction,
  transactionType: ErrorCode.InvalidTransactionType,
} as const;

/**
 * Merges `input` over `outer` (fields explicitly given replace, the rest are
 * kept) and validates the result. Throws before anything is set, so a tenant is
 * never half-applied.
 */
export function resolveTenant(input: Partial<TenantInput>, outer: Tenant | undefined): Tenant {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidTenantError('tenantId', input, 'a tenant object');
  }
  const tenantId = input.tenantId ?? outer?.tenantId;
  if (typeof tenantId !== 'string' || !TENANT_ID.test(tenantId)) {
    throw new InvalidTenantError('tenantId', tenantId, TENANT_ID_EXPECTED);
  }
  const tenant: { -readonly [K in keyof Tenant]: Tenant[K] } = { tenantId };
  const jurisdiction = input.jurisdiction ?? outer?.jurisdiction;
  if (jurisdiction !== undefined) tenant.jurisdiction = normaliseJurisdiction(jurisdiction);
  const transactionType = input.transactionType ?? outer?.transactionType;
  if (transactionType !== undefined) {
    if (typeof transactionType !== 'string' || !TRANSACTION_TYPE.test(transactionType)) {
      throw new InvalidTenantError(
        'transactionType',
        transactionType,
        '1-64 characters of [a-z0-9_.-]',
      );
    }
    tenant.transactionType = transactionType;
  }
  return Object.freeze(tenant);
}

/** Upper-cases and validates an ISO 3166 code such as `de` or `us-ny`. */
export function normaliseJurisdiction(value: unknown): string {
  if (typeof value !== 'string' || !JURISDICTION.test(value)) {
    throw new InvalidTenantError('jurisdiction', value, JURISDICTION_EXPECTED);
  }
  return value.toUpperCase();
}

function printable(value: unknown): string {
  // Never echo control characters or unbounded input into logs.
  const text = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value);
  return text.replace(/[^\x20-\x7e]/g, '?');
}
