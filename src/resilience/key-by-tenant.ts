import { getTenant } from '../tenant/context.js';
import type { ExecuteOptions } from './context.js';

/**
 * A `keyBy` for a bulkhead per tenant: the active tenant's id (see
 * `withTenant`), or the shared bulkhead outside any tenant.
 *
 * @example
 * resilient('bank', { bulkhead: { keyBy: keyByTenant, maxConcurrent: 20 } });
 */
export function keyByTenant(_options: ExecuteOptions): string | undefined {
  return getTenant()?.tenantId;
}
