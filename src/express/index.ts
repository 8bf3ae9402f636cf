/**
 * `bulwark/express`: Express middleware for tenant context, idempotency keys,
 * HTTP metrics and problem+json errors. Loads nothing but Express types.
 */

export type { SliRecorder } from '../http/sli-feed.js';
// Errors
export type { ErrorHandlerOptions } from './error-handler.js';
export { errorHandler } from './error-handler.js';
// Idempotency
export type { IdempotencyOptions, IdempotencyRequestClaim } from './idempotency.js';
export { idempotency, idempotencyClaim } from './idempotency.js';
// Request metrics
export type { RequestMetricsOptions } from './request-metrics.js';
export { requestMetrics } from './request-metrics.js';
// Tenant
export type { TenantOptions, TenantResolution, TenantResolver } from './tenant.js';
export { tenant, tenantFromHeaders } from './tenant.js';
