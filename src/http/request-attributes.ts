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

/** Hands out one attribute set per distinct labels. */
export type AttributeSets = (labels: Labels) => Attributes;

/** Most attribute sets one recorder keeps for reuse; past it, sets are built per request. */
const MAX_ATTRIBUTE_SETS = 4096;

/**
 * One frozen attribute set per route, status and labels, built the first
 * time and reused for every later request like it, so a request allocates
 * no attribute object (the http-server benchmark). The labels are bounded
 * (guards, route templates, statuses), and the cache is capped besides.
 */
export function createAttributeSets(): AttributeSets {
  const sets = new Map<string, Attributes>();
  return function attributeSet(labels) {
    const key = `${labels.method}\u0000${part(labels.route)}\u0000${part(labels.statusCode)}\u0000${part(labels.errorType)}\u0000${part(labels.jurisdiction)}\u0000${part(labels.tenantId)}`;
    let attributes = sets.get(key);
    if (attributes === undefined) {
      attributes = buildAttributes(labels);
      if (sets.size < MAX_ATTRIBUTE_SETS) sets.set(key, attributes);
    }
    return attributes;
  };
}

/** One label in a cache key: absent and empty differ. */
function part(value: string | number | undefined): string {
  return value === undefined ? '\u0001' : `=${value}`;
}
