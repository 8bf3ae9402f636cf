import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { finishedRequest, onResponseEnd } from '../http/finished-request.js';
import { createRequestRecorder, type RequestMetricsOptions } from '../http/request-recorder.js';
import { awaitTenant, type TenantSlot, tenantOfRequest } from '../http/request-tenant.js';
import { getTenant } from '../tenant/context.js';
import { rejectMiddlewareMisuse } from './misuse-guard.js';
import { routeTemplate } from './route-template.js';

export type { RequestMetricsOptions } from '../http/request-recorder.js';
export { REQUEST_METRICS_DEFAULTS } from '../http/request-recorder.js';

/**
 * Express middleware recording RED metrics per the stable HTTP semantic
 * conventions: the histogram `http.server.request.duration` (seconds) with
 * `http.request.method`, `http.route` (the route template, never the raw
 * path), `http.response.status_code`, `error.type` (5xx and aborted requests),
 * and the guarded `tenant.jurisdiction` and `tenant.id`. Every finished request,
 * aborted ones included, also goes to each SLO in `slos`. It finds the tenant
 * whether it is mounted before or after `tenant()`.
 *
 * @example
 * app.use(tenant(), requestMetrics({ maxTenants: 50 }));
 */
export function requestMetrics(options: RequestMetricsOptions = {}): RequestHandler {
  // biome-ignore lint/complexity/noArguments: the guard needs the real argument count.
  rejectMiddlewareMisuse('requestMetrics', arguments);
  const record = createRequestRecorder(options, 'requestMetrics');
  return function requestMetricsMiddleware(req: Request, res: Response, next: NextFunction) {
    const startedAtMs = performance.now();
    const entryTenant = getTenant();
    const slot: TenantSlot = { req, tenant: undefined, outer: undefined };
    onResponseEnd(res, () => {
      const tenant = tenantOfRequest(req, slot) ?? entryTenant;
      record(finishedRequest(req.method, routeTemplate(req), res, startedAtMs, tenant));
    });
    // Mounted inside tenant(), the tenant is known already: nothing to wait for.
    if (entryTenant === undefined) awaitTenant(slot, next);
    else next();
  };
}
