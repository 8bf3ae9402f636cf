/*
 * The attribute sets of `http.server.request.duration`, built once per
 * distinct labels and reused (see `createAttributeSets`).
 */
import type { Attributes } from '@opentelemetry/api';
import { Attr } from '../telemetry/attributes.js';

/** What one request's attribute set is made of, its labels already guarded. */
export interface Labels {
  readonly method: string;
  readonly route: string | undefined;
  readonly statusCode: number | undefined;
  readonly errorType: string | undefined;
  readonly jurisdiction: string | undefined;
  readonly tenantId: string | undefined;
}

/**
 * The attribute set of `labels`, per the stable HTTP semantic conventions plus
 * the tenant labels, its keys added in sorted order: the metrics SDK sorts an
 * attribute set's keys on every recording to find its series, and an array
 * already in order is the cheapest to sort (the http-server benchmark).
 */
function buildAttributes(labels: Labels): Attributes {
  const attributes: Attributes = {};
  if (labels.errorType !== undefined) attributes[Attr.ErrorType] = labels.errorType;
  attributes[Attr.HttpRequestMethod] = labels.method;
  if (labels.statusCode !== undefined) attributes[Attr.HttpResponseStatusCode] = labels.statusCode;
  if (labels.route !== undefined) attributes[Attr.HttpRoute] = labels.route;
  if (labels.tenantId !== undefined) attributes[Attr.TenantId] = labels.tenantId;
  if (labels.jurisdiction !== undefined) attributes[Attr.TenantJurisdiction] = labels.jurisdiction;
  return Object.freeze(attributes);
}

/** Hands out one attribute set per distinct labels (see {@link Labels} for each argument). */
export type AttributeSets = (
  method: string,
  route: string | undefined,
  statusCode: number | undefined,
  errorType: string | undefined,
  jurisdiction: string | undefined,
  tenantId: string | undefined,
) => Attributes;

/** Most attribute sets one recorder keeps for reuse; past it, sets are built per request. */
const MAX_ATTRIBUTE_SETS = 4096;

/**
 * One frozen attribute set per route, status and labels, built the first
 * time and reused for every later request like it, so a request allocates
 * no attribute object (the http-server benchmark). The labels are bounded
 * (guards, route templates, statuses), and the cache is capped besides.
 * The labels come as arguments, not an object, and the set of the request
 * before is tried first: a service answers mostly the same few routes and
 * statuses, so most requests find their set by six comparisons, without
 * building the cache key (a string of every label) that the Map needs.
 */
export function createAttributeSets(): AttributeSets {
  const sets = new Map<string, Attributes>();
  // The labels and set of the request before (no object: a miss costs six assignments).
  let lastAttributes: Attributes | undefined;
  let lastMethod: string | undefined;
  let lastRoute: string | undefined;
  let lastStatusCode: number | undefined;
  let lastErrorType: string | undefined;
  let lastJurisdiction: string | undefined;
  let lastTenantId: string | undefined;
  return function attributeSet(method, route, statusCode, errorType, jurisdiction, tenantId) {
    if (
      lastAttributes !== undefined &&
      method === lastMethod &&
      route === lastRoute &&
      statusCode === lastStatusCode &&
      errorType === lastErrorType &&
      jurisdiction === lastJurisdiction &&
      tenantId === lastTenantId
    ) {
      return lastAttributes;
    }
    const key = `${method}\u0000${part(route)}\u0000${part(statusCode)}\u0000${part(errorType)}\u0000${part(jurisdiction)}\u0000${part(tenantId)}`;
    let attributes = sets.get(key);
    if (attributes === undefined) {
      attributes = buildAttributes({
        method,
        route,
        statusCode,
        errorType,
        jurisdiction,
        tenantId,
      });
      if (sets.size < MAX_ATTRIBUTE_SETS) sets.set(key, attributes);
    }
    lastAttributes = attributes;
    lastMethod = method;
    lastRoute = route;
    lastStatusCode = statusCode;
    lastErrorType = errorType;
    lastJurisdiction = jurisdiction;
    lastTenantId = tenantId;
    return attributes;
  };
}

/** One label in a cache key: absent and empty differ. */
function part(value: string | number | undefined): string {
  return value === undefined ? '\u0001' : `=${value}`;
}
