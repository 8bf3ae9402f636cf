import type { FastifyRequest } from 'fastify';
import { invalidOption } from '../errors.js';
import type { ErrorHandlerOptions } from '../http/error-reporting.js';
import type { IdempotencyOptions } from '../http/idempotency-options.js';
import type { RequestMetricsOptions } from '../http/request-recorder.js';
import type { TenantOptions } from '../http/tenant-resolution.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` turns bulwark's idempotency keys off for this route. Default on, when the plugin's `idempotency` is. */
    idempotency?: boolean;
  }
}

/**
 * Options of the `bulwark` Fastify plugin: one part per concern, each with
 * the options (and defaults) of its Express counterpart, each off with `false`.
 */
export interface BulwarkOptions {
  /**
   * Who each request is for (`tenant()` on Express): `X-Tenant-Id` /
   * `X-Jurisdiction` by default, or `resolve(request)`. Everything in the
   * request, hooks and handler included, runs inside `withTenant`. Default `{}`.
   */
  readonly tenant?: TenantOptions<FastifyRequest> | false;
  /** RED metrics and the SLO feed (`requestMetrics()` on Express). Default `{}`. */
  readonly metrics?: RequestMetricsOptions | false;
  /**
   * Idempotency keys for POST and PATCH (`idempotency()` on Express); a route
   * opts out with `config: { idempotency: false }`. Default `{}`: a new
   * `MemoryStore` (one process, not durable).
   */
  readonly idempotency?: IdempotencyOptions<FastifyRequest> | false;
  /** problem+json answers through Fastify's error handler (`errorHandler()` on Express). Default `{}`. */
  readonly errors?: ErrorHandlerOptions<FastifyRequest> | false;
}

/** Defaults of {@link BulwarkOptions}: every part on, with its own defaults. */
export const BULWARK_DEFAULTS = {
  tenant: {},
  metrics: {},
  idempotency: {},
  errors: {},
} as const satisfies BulwarkOptions;

const PARTS = ['tenant', 'metrics', 'idempotency', 'errors'] as const;

/** Each part's options, `false` when it is off; unknown parts are refused. */
export function resolveParts(options: BulwarkOptions | undefined): Required<BulwarkOptions> {
  const given = options ?? {};
  if (typeof given !== 'object' || given === null) {
    throw invalidOption('bulwark', 'options', given, 'an options object or undefined');
  }
  for (const name of Object.keys(given)) {
    if (!(PARTS as readonly string[]).includes(name)) {
      throw invalidOption(
        'bulwark',
        name,
        (given as Record<string, unknown>)[name],
        `one of ${PARTS.join(', ')}`,
      );
    }
  }
  const part = <K extends (typeof PARTS)[number]>(name: K): Required<BulwarkOptions>[K] => {
    const value = given[name] ?? BULWARK_DEFAULTS[name];
    if (value !== false && (typeof value !== 'object' || value === null)) {
      throw invalidOption('bulwark', name, value, 'an options object or false');
    }
    return value as Required<BulwarkOptions>[K];
  };
  return {
    tenant: part('tenant'),
    metrics: part('metrics'),
    idempotency: part('idempotency'),
    errors: part('errors'),
  };
}
