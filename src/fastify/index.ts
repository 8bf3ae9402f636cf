/**
 * `bulwark/fastify`: the `bulwark` Fastify plugin (tenant context, RED
 * metrics, idempotency keys, problem+json errors), with the contract of
 * `bulwark/express`. Loads nothing but Fastify types.
 */

export type { IdempotencyRequestClaim } from '../http/idempotent-exchange.js';
export { idempotencyClaim } from '../http/idempotent-exchange.js';
export type { SliRecorder } from '../http/sli-feed.js';
export type { TenantResolution } from '../http/tenant-resolution.js';
export { tenantFromHeaders } from '../http/tenant-resolution.js';
export { bulwark } from './plugin.js';
export type { BulwarkOptions } from './plugin-options.js';
