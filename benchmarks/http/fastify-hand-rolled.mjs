/**
 * The least a Fastify service could hand-write for what the bulwark plugin
 * does on the http-server request, as a yardstick for the plugin's cost: the
 * key scoped by tenant, method and route and hashed (SHA-256), the body
 * fingerprinted (SHA-256 of its JSON), a bounded in-memory Map of records
 * (`hand-rolled-records.mjs`: 409 while in flight, 422 on another body, a
 * replay once answered), the answer recorded in `onSend` before it is sent,
 * and the request-duration histogram with method, route, status and tenant. None of bulwark's
 * guarantees past that: no lease or fencing, no tenant context, no
 * problem+json, no outcome metrics, no cardinality guards.
 */
import { metrics } from '@opentelemetry/api';
import { boundedRecords, sha256 } from './hand-rolled-records.mjs';

/** Adds the hand-rolled idempotency and metrics hooks to `app`. */
export function addHandRolledIdempotency(app) {
  const records = boundedRecords();
  const duration = metrics
    .getMeter('bench-hand-rolled')
    .createHistogram('http.server.request.duration');
  app.decorateRequest('idempotencyRecord', null);
  app.decorateRequest('startedAt', 0);
  app.addHook('onRequest', (request, _reply, done) => {
    request.startedAt = performance.now();
    done();
  });
  app.addHook('preHandler', (request, reply, done) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string') return done();
    const tenant = request.headers['x-tenant-id'] ?? '';
    const storageKey = sha256(`${tenant}\0${request.method}\0${request.routeOptions.url}\0${key}`);
    const fingerprint = sha256(JSON.stringify(request.body));
    const existing = records.get(storageKey);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) return reply.code(422).send({ error: 'mismatch' });
      if (existing.status === 0) return reply.code(409).send({ error: 'in flight' });
      return reply.code(existing.status).type('application/json').send(existing.body);
    }
    const record = { fingerprint, status: 0, body: undefined };
    records.add(storageKey, record);
    request.idempotencyRecord = record;
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const record = request.idempotencyRecord;
    if (record !== null && record.status === 0) {
      record.status = reply.statusCode;
      record.body = payload;
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    duration.record((performance.now() - request.startedAt) / 1000, {
      'http.request.method': request.method,
      'http.route': request.routeOptions.url,
      'http.response.status_code': reply.statusCode,
      'tenant.id': request.headers['x-tenant-id'],
    });
    done();
  });
}
