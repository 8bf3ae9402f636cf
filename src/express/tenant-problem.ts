import { type BulwarkError, ErrorCode } from '../errors.js';
import { JURISDICTION_EXPECTED, TENANT_ID_EXPECTED, type TenantField } from '../tenant/validate.js';
import { type Problem, problemType } from './problem.js';

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

/** The 400 problem for an invalid tenant field (`field` names it). */
export function invalidTenantProblem(error: BulwarkError, field: TenantField): Problem {
  return {
    type: problemType('invalid-tenant'),
    title: 'Invalid tenant',
    status: 400,
    detail: `${field} must be ${EXPECTED[field]}`,
    code: error.code,
    field,
  };
}

/** The 400 problem for a request that names no tenant where one is required. */
export function missingTenantProblem(): Problem {
  return {
    type: problemType('tenant-required'),
    title: 'Tenant required',
    status: 400,
    detail: 'the request names no tenant',
    code: ErrorCode.InvalidTenantId,
    field: 'tenantId',
  };
}
