import type { SliEvent } from '../slo/sli-event.js';
import type { Tenant } from '../tenant/types.js';
import type { FinishedRequest } from './finished-request.js';

/**
 * Anything that counts finished requests, such as an SLO from `defineSlo()`
 * (typed structurally: any object with `record(event)` will do).
 */
export interface SliRecorder {
  /** Counts one finished request. */
  record(event: SliEvent): void;
}

// The status an SLO sees for a client that closed the connection before any
// response (nginx's "client closed request"): below 500, so not the service's failure.
const CLIENT_CLOSED_REQUEST = 499;

/** The SLI event of a finished request. */
export function sliEventOf(
  request: FinishedRequest,
  tenantClass: ((tenant: Tenant) => string | undefined) | undefined,
): SliEvent {
  const event: SliEvent = {
    method: request.method,
    route: request.route,
    statusCode: request.statusCode ?? CLIENT_CLOSED_REQUEST,
    durationSeconds: request.durationSeconds,
  };
  const { tenant } = request;
  if (tenant?.jurisdiction !== undefined) event.jurisdiction = tenant.jurisdiction;
  const classOf = tenant === undefined ? undefined : safeClass(tenantClass, tenant);
  if (classOf !== undefined) event.tenantClass = classOf;
  return event;
}

function safeClass(
  tenantClass: ((tenant: Tenant) => string | undefined) | undefined,
  tenant: Tenant,
): string | undefined {
  try {
    return tenantClass?.(tenant);
  } catch {
    return undefined;
  }
}
