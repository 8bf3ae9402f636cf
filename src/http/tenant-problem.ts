import { ErrorCode } from '../errors.js';
import { JURISDICTION_EXPECTED, TENANT_ID_EXPECTED, type TenantField } from '../tenant/validate.js';
import { PROBLEMS, type ProblemOccurrence } from './problem-table.js';

const FIELD_BY_CODE: Readonly<Record<string, TenantField>> = {
  [ErrorCode.InvalidTenantId]: 'tenantId',
  [ErrorCode.InvalidJurisdiction]: 'jurisdiction',
  [ErrorCode.InvalidTransactionType]: 'transactionType',
};

// What each field must look like. Said in our words, never by echoing the
// rejected value back: it is attacker-controlled input.
const EXPECTED: Readonly<Record<TenantField, string>> = {
  tenantId: TENANT_ID_EXPECTED,
  jurisdiction: JURISDICTION_EXPECTED,
  transactionType: '1-64 characters of [a-z0-9_.-]',
};

/** The tenant field a bulwark error code is about, or `undefined` for other codes. */
export function tenantFieldOf(code: string): TenantField | undefined {
  return FIELD_BY_CODE[code];
}

/** The occurrence of {@link PROBLEMS.invalidTenant} for an invalid `field` (the answer names it). */
export function invalidTenantOccurrence(code: string, field: TenantField): ProblemOccurrence {
  return { code, detail: `${field} must be ${EXPECTED[field]}`, members: { field } };
}

/** The occurrence of {@link PROBLEMS.tenantRequired}: the missing field is `tenantId`. */
export const MISSING_TENANT: ProblemOccurrence = { members: { field: 'tenantId' } };

export { PROBLEMS };
