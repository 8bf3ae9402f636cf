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

/** One level of the cache: a label's value (absent is `undefined`, never equal to empty) to the next level. */
type Level = Map<string | number | undefined, Level | Attributes>;

/**
 * One frozen attribute set per route, status and labels, built the first
 * time and reused for every later request like it, so a request allocates
 * no attribute object (the http-server benchmark). Found through one Map per
 * label rather than a key string joined from them, which cost a string per
 * request. The labels are bounded (guards, route templates, statuses), and
 * the cache is capped besides.
 */
export function createAttributeSets(): AttributeSets {
  const root: Level = new Map();
  let size = 0;
  return function attributeSet(labels) {
    const found = lookup(root, labels);
    if (found !== undefined) return found;
    const attributes = buildAttributes(labels);
    if (size < MAX_ATTRIBUTE_SETS) {
      size += 1;
      let level = root;
      for (const value of [labels.method, labels.route, labels.statusCode, labels.errorType]) {
        level = nextLevel(level, value);
      }
      nextLevel(level, labels.jurisdiction).set(labels.tenantId, attributes);
    }
    return attributes;
  };
}

function lookup(root: Level, labels: Labels): Attributes | undefined {
  const byRoute = root.get(labels.method) as Level | undefined;
  const byStatus = byRoute?.get(labels.route) as Level | undefined;
  const byError = byStatus?.get(labels.statusCode) as Level | undefined;
  const byJurisdiction = byError?.get(labels.errorType) as Level | undefined;
  const byTenant = byJurisdiction?.get(labels.jurisdiction) as Level | undefined;
  return byTenant?.get(labels.tenantId) as Attributes | undefined;
}

function nextLevel(level: Level, value: string | number | undefined): Level {
  let next = level.get(value) as Level | undefined;
  if (next === undefined) {
    next = new Map();
    level.set(value, next);
  }
  return next;
}
