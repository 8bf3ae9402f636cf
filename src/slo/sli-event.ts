import type { ResolvedSelector, SliOptions } from './options.js';

/**
 * One finished HTTP request, as `requestMetrics()` hands it to `slo.record()`.
 * The same fields as the `http.server.request.duration` measurement, so the
 * in-process SLO and the Prometheus rules count the same requests.
 */
export interface SliEvent {
  /** HTTP method (`POST`). */
  method: string;
  /** Route template (`/transfers/:id`); undefined when no route matched. */
  route: string | undefined;
  /** Response status code. */
  statusCode: number;
  /** Server-side duration of the request, in seconds. */
  durationSeconds: number;
  /** ISO 3166 jurisdiction of the tenant, when known. */
  jurisdiction?: string;
  /** The tenant's class (`premium`, ...), when the application classifies tenants. */
  tenantClass?: string;
}

/** True when `event` is one the selector counts. Absent lists match everything. */
export function selectorMatches(selector: ResolvedSelector, event: SliEvent): boolean {
  if (selector.routes && (event.route === undefined || !selector.routes.has(event.route))) {
    return false;
  }
  if (selector.methods && !selector.methods.has(String(event.method).toUpperCase())) return false;
  if (selector.jurisdictions) {
    const jurisdiction = event.jurisdiction?.toUpperCase();
    if (jurisdiction === undefined || !selector.jurisdictions.has(jurisdiction)) return false;
  }
  if (selector.tenantClasses) {
    if (event.tenantClass === undefined || !selector.tenantClasses.has(event.tenantClass)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `event` meets the SLI: availability counts every status below 500
 * as good (a 4xx is the client's fault, not the service's); latency counts a
 * duration at or under the threshold, as a Prometheus `le` bucket does.
 * Undefined when the event lacks the field the SLI needs: such an event is not
 * counted at all rather than guessed.
 */
export function isGoodEvent(sli: SliOptions, event: SliEvent): boolean | undefined {
  if (sli.kind === 'availability') {
    return Number.isFinite(event.statusCode) ? event.statusCode < 500 : undefined;
  }
  return Number.isFinite(event.durationSeconds)
    ? event.durationSeconds <= sli.thresholdSeconds
    : undefined;
}
