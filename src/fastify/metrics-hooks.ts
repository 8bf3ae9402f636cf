import type { FastifyInstance } from 'fastify';
import { finishedRequest, onResponseEnd } from '../http/finished-request.js';
import { createRequestRecorder, type RequestMetricsOptions } from '../http/request-recorder.js';
import { getTenant } from '../tenant/context.js';
import { tenantOf } from './request-slots.js';

/**
 * RED metrics on Fastify: the clock starts in `onRequest`, and the request is
 * recorded when Node's response finishes or its connection closes (an
 * aborted request has no `onResponse`), with `http.route` from
 * `request.routeOptions.url`: the template Fastify matched.
 */
export function addMetricsHooks(instance: FastifyInstance, options: RequestMetricsOptions): void {
  const record = createRequestRecorder(options, 'bulwark: metrics');
  instance.addHook('onRequest', function bulwarkMetrics(request, reply, done) {
    const startedAtMs = performance.now();
    const entryTenant = getTenant();
    onResponseEnd(reply.raw, () => {
      record(
        finishedRequest(
          request.raw.method ?? '',
          request.routeOptions.url,
          reply.raw,
          startedAtMs,
          tenantOf(request) ?? entryTenant,
        ),
      );
    });
    done();
  });
}
