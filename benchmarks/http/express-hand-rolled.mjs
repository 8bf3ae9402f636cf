/**
 * The least an Express service could hand-write for what the bulwark stack
 * does on the http-server request, as a yardstick for the stack's cost: the
 * counterpart of `fastify-hand-rolled.mjs`. Two middleware, where a team
 * would mount them:
 *
 * - before the body parser, the request-duration histogram with method,
 *   route, status and tenant, recorded when the response finishes;
 * - after it, the key scoped by tenant, method and path and hashed (SHA-256),
 *   the body fingerprinted (SHA-256 of its JSON), a bounded in-memory Map of
 *   records (`hand-rolled-records.mjs`: 409 while in flight, 422 on another
 *   body, a replay once answered), and the answer recorded as the handler
 *   ends it, through an `res.end` wrapped on the instance, before it is sent.
 *
 * None of bulwark's guarantees past that: no lease or fencing, no tenant
 * context, no problem+json, no outcome metrics, no cardinality guards, no
 * hold of the answer until it is recorded in a store that may fail.
 */
import { metrics } from '@opentelemetry/api';
import { boundedRecords, sha256 } from './hand-rolled-records.mjs';

/** The duration histogram, mounted before the body parser so the request's whole time counts. */
export function handRolledMetrics() {
  const duration = metrics
    .getMeter('bench-hand-rolled')
    .createHistogram('http.server.request.duration');
  return function handRolledMetrics(req, res, next) {
    const startedAt = performance.now();
    res.on('finish', () => {
      duration.record((performance.now() - startedAt) / 1000, {
        'http.request.method': req.method,
        'http.route': req.route?.path,
        'http.response.status_code': res.statusCode,
        'tenant.id': req.headers['x-tenant-id'],
      });
    });
    next();
  };
}

/** The Map-backed idempotency, mounted after the body parser (it fingerprints the parsed body). */
export function handRolledIdempotency() {
  const records = boundedRecords();
  return function handRolledIdempotency(req, res, next) {
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || typeof key !== 'string') return next();
    const tenant = req.headers['x-tenant-id'] ?? '';
    const storageKey = sha256(`${tenant}\0${req.method}\0${req.path}\0${key}`);
    const fingerprint = sha256(JSON.stringify(req.body));
    const existing = records.get(storageKey);
    if (existing !== undefined) {
      if (existing.fingerprint !== fingerprint) return res.status(422).json({ error: 'mismatch' });
      if (existing.status === 0) return res.status(409).json({ error: 'in flight' });
      res.set('idempotent-replayed', 'true').type('application/json');
      return res.status(existing.status).send(existing.body);
    }
    const record = { fingerprint, status: 0, body: undefined };
    records.add(storageKey, record);
    const end = res.end;
    res.end = function recordingEnd(chunk, encoding, callback) {
      if (record.status === 0) {
        record.status = res.statusCode;
        record.body = chunk;
      }
      return end.call(this, chunk, encoding, callback);
    };
    next();
  };
}
