import type { Attributes } from '@opentelemetry/api';
import { invalidOption } from '../errors.js';
import { HTTP_DURATION_BUCKETS_SECONDS } from '../slo/http-buckets.js';
import { jurisdictionsSelectedBy } from '../slo/selected-jurisdictions.js';
import { Metric } from '../telemetry/attributes.js';
import { lazyInstruments } from '../telemetry/instruments.js';
import { createJurisdictionGuard } from '../telemetry/jurisdiction-guard.js';
import type { LabelGuard } from '../telemetry/label-guard.js';
import { createTenantGuard } from '../telemetry/tenant-guard.js';
import type { Tenant } from '../tenant/types.js';
import type { FinishedRequest } from './finished-request.js';
import { type AttributeSets, createAttributeSets } from './request-attributes.js';
import { type SliRecorder, sliEventOf } from './sli-feed.js';

/** Options of the HTTP metrics (`requestMetrics()` on Express, `metrics` of the Fastify plugin). */
export interface RequestMetricsOptions {
  /** Whether `tenant.id` is recorded (through a cardinality guard). Default `true`. */
  recordTenantId?: boolean;
  /** Most distinct `tenant.id` values kept; later tenants are recorded as `other`. Default 100. */
  maxTenants?: number;
  /**
   * Most distinct `tenant.jurisdiction` values kept; later ones are recorded
   * as `other`. The jurisdictions an SLO in `slos` selects on are always kept,
   * on top of these. A request answered 4xx, or never answered, takes no new
   * slot (tenant or jurisdiction): it keeps the labels of values already kept,
   * and records new ones as `other`. Default 100.
   */
  maxJurisdictions?: number;
  /** SLOs (from `defineSlo()` in `bulwark/slo`) fed with every finished request. Default none. */
  slos?: readonly SliRecorder[];
  /** Names a tenant's class (`premium`, ...) for SLO selectors. Default none. */
  tenantClass?: ((tenant: Tenant) => string | undefined) | undefined;
}

/** Defaults of {@link RequestMetricsOptions}. */
export const REQUEST_METRICS_DEFAULTS = {
  recordTenantId: true,
  maxTenants: 100,
  maxJurisdictions: 100,
  slos: [] as readonly SliRecorder[],
  tenantClass: undefined,
} as const;

const instruments = lazyInstruments((meter) => ({
  duration: meter.createHistogram(Metric.HttpServerRequestDuration, {
    description: 'Duration of HTTP server requests.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...HTTP_DURATION_BUCKETS_SECONDS] },
  }),
}));

type Resolved = Required<Omit<RequestMetricsOptions, 'tenantClass'>> &
  Pick<RequestMetricsOptions, 'tenantClass'>;

/** Records one finished request: the histogram and every SLO. Never throws. */
export type RequestRecorder = (request: FinishedRequest) => void;

/**
 * Validates `options` once (errors name `scope`) and returns the recorder of
 * `http.server.request.duration` per the stable HTTP semantic conventions,
 * with the guarded `tenant.jurisdiction` and `tenant.id`, feeding `slos`.
 */
export function createRequestRecorder(
  options: RequestMetricsOptions,
  scope: string,
): RequestRecorder {
  const resolved = resolveOptions(options, scope);
  const guards: Guards = {
    tenant: resolved.recordTenantId ? createTenantGuard(resolved) : undefined,
    jurisdiction: createJurisdictionGuard(
      resolved.maxJurisdictions,
      scope,
      jurisdictionsSelectedBy(resolved.slos),
    ),
  };
  const sets = createAttributeSets();
  return function recordRequest(request) {
    try {
      const attributes = attributesOf(request, guards, sets);
      instruments().duration.record(request.durationSeconds, attributes);
    } catch {
      // Telemetry observes and never throws into the request.
    }
    if (resolved.slos.length === 0) return;
    const event = sliEventOf(request, resolved.tenantClass);
    for (const slo of resolved.slos) {
      try {
        slo.record(event);
      } catch {
        // A failing SLO must not fail the request, nor starve the other SLOs.
      }
    }
  };
}

/** The guards of one recorder's request-derived labels. */
interface Guards {
  readonly tenant: LabelGuard | undefined;
  readonly jurisdiction: LabelGuard;
}

function attributesOf(request: FinishedRequest, guards: Guards, sets: AttributeSets): Attributes {
  const { method, route, statusCode, errorType, tenant } = request;
  // Values from the request are labels only through their guards. A refused or
  // unanswered request takes no new slot: a client cannot squat them with failures.
  const admit = statusCode !== undefined && statusCode < 400;
  const jurisdiction = guards.jurisdiction(tenant?.jurisdiction, admit);
  const tenantId = guards.tenant?.(tenant?.tenantId, admit);
  return sets(method, route, statusCode, errorType, jurisdiction, tenantId);
}

function resolveOptions(options: RequestMetricsOptions, scope: string): Resolved {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(scope, 'options', options, 'an options object or undefined');
  }
  const { recordTenantId, maxTenants, maxJurisdictions, slos, tenantClass } = {
    ...REQUEST_METRICS_DEFAULTS,
    ...definedOf(options),
  };
  if (typeof recordTenantId !== 'boolean') {
    throw invalidOption(scope, 'recordTenantId', recordTenantId, 'a boolean');
  }
  if (!Number.isSafeInteger(maxTenants) || maxTenants < 0) {
    throw invalidOption(scope, 'maxTenants', maxTenants, 'a non-negative integer');
  }
  if (!Number.isSafeInteger(maxJurisdictions) || maxJurisdictions < 0) {
    throw invalidOption(scope, 'maxJurisdictions', maxJurisdictions, 'a non-negative integer');
  }
  if (!Array.isArray(slos) || !slos.every((slo) => typeof slo?.record === 'function')) {
    throw invalidOption(scope, 'slos', slos, 'an array of SLOs, each with record(event)');
  }
  if (tenantClass !== undefined && typeof tenantClass !== 'function') {
    throw invalidOption(scope, 'tenantClass', tenantClass, 'a function (tenant) => string');
  }
  return { recordTenantId, maxTenants, maxJurisdictions, slos: [...slos], tenantClass };
}

function definedOf<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
