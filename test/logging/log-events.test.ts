import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../src/idempotency/index.js';
import {
  isBulwarkError,
  logEvents,
  logFields,
  MemoryStore,
  resilient,
  withTenant,
} from '../../src/index.js';
import { defineSlo } from '../../src/slo/index.js';
import { FaultyStore } from '../idempotency/faulty-store.js';
import { resetError } from '../resilience/helpers.js';
import { lineSink, registerTracing } from './otel.js';

let unregister: () => void;
beforeAll(() => {
  unregister = registerTracing();
});
afterAll(() => unregister());

const STORM = 1_000;
const QUIET_MS = 40;
let stop: (() => void) | undefined;
afterEach(() => stop?.());

/** A real pino logger with the context mixin, logging bulwark's events to a sink. */
function logged() {
  const sink = lineSink();
  stop = logEvents(pino({ mixin: () => logFields() }, sink.stream), { quietMs: QUIET_MS });
  const of = (name: string) => sink.lines.filter((line) => line['event.name'] === name);
  return { lines: sink.lines, of };
}

const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS * 4));
const settleAll = (calls: Promise<unknown>[]) => Promise.allSettled(calls);

describe('logEvents(): once per transition under a 1,000-call failure storm', () => {
  it('logs a breaker opening once, with the trace and tenant of the call that opened it', async () => {
    const log = logged();
    const bank = resilient('storm-breaker', {
      retry: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 5, breakDurationMs: 60_000 },
    });
    let traceId = '';
    await trace.getTracer('test').startActiveSpan('storm', async (active) => {
      traceId = active.spanContext().traceId;
      for (let i = 0; i < STORM; i++) {
        await withTenant({ tenantId: 'acme', jurisdiction: 'DE' }, () =>
          bank.execute(() => Promise.reject(resetError()), { key: 'https://bank.test' }),
        ).catch(() => undefined);
      }
      active.end();
    });
    const opened = log.of('bulwark.circuit.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      level: 40,
      'pipeline.name': 'storm-breaker',
      'bulwark.resilience.key': 'https://bank.test',
      'error.type': 'ECONNRESET',
      'tenant.id': 'acme',
      'tenant.jurisdiction': 'DE',
      trace_id: traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(log.lines).toHaveLength(1);
  });

  it('logs a breaker closing once after recovery', async () => {
    const log = logged();
    const bank = resilient('storm-recovery', {
      retry: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 3, breakDurationMs: 20 },
    });
    const fail = () => bank.execute(() => Promise.reject(resetError())).catch(() => undefined);
    for (let i = 0; i < STORM; i++) await fail();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await bank.execute(() => 'ok');
    for (let i = 0; i < 10; i++) await bank.execute(() => 'ok');
    expect(log.of('bulwark.circuit.opened').length).toBeGreaterThanOrEqual(1);
    expect(log.of('bulwark.circuit.closed')).toHaveLength(1);
    expect(log.of('bulwark.circuit.closed')[0]).toMatchObject({ level: 30 });
  });

  it('logs a bulkhead rejecting once, and once when it stops, with the count', async () => {
    const log = logged();
    const pool = resilient('storm-bulkhead', {
      bulkhead: { maxConcurrent: 10, maxQueued: 0 },
      retry: false,
    });
    const slow = () => new Promise((resolve) => setTimeout(resolve, 20));
    const results = await settleAll(Array.from({ length: STORM }, () => pool.execute(slow)));
    const rejected = results.filter(
      (r) => r.status === 'rejected' && isBulwarkError(r.reason, 'BULWARK_BULKHEAD_FULL'),
    ).length;
    expect(rejected).toBe(STORM - 10);
    expect(log.of('bulwark.bulkhead.rejecting')).toHaveLength(1);
    await quiet();
    const recovered = log.of('bulwark.bulkhead.recovered');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]).toMatchObject({ 'bulwark.rejected_calls': rejected, level: 30 });
    expect(log.lines).toHaveLength(2);
  });

  it('logs a spent retry budget once, and once when it refills', async () => {
    const log = logged();
    const bank = resilient('storm-budget', {
      breaker: false,
      retry: {
        maxRetries: 3,
        baseDelayMs: 1,
        maxDelayMs: 1,
        budget: { ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000 },
      },
    });
    for (let i = 0; i < STORM; i++) {
      await bank.execute(() => Promise.reject(resetError())).catch(() => undefined);
    }
    expect(log.of('bulwark.retry_budget.exhausted')).toHaveLength(1);
    await quiet();
    expect(log.of('bulwark.retry_budget.recovered')).toHaveLength(1);
    expect(log.lines).toHaveLength(2);
  });

  it('logs an SLO budget exhausted once', () => {
    const log = logged();
    const slo = defineSlo({
      name: 'storm-slo',
      sli: { kind: 'availability' },
      objective: 0.99,
      minEventsToExhaust: 10,
    });
    const event = { method: 'POST', route: '/transfers', statusCode: 503, durationSeconds: 0.01 };
    for (let i = 0; i < STORM; i++) slo.record(event);
    const exhausted = log.of('bulwark.slo.budget_exhausted');
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]).toMatchObject({ level: 50, 'slo.name': 'storm-slo' });
  });

  it('logs the idempotency store unavailable once, and once when it is back', async () => {
    const log = logged();
    const store = new FaultyStore(new MemoryStore());
    const engine = createIdempotencyEngine({ store, storeTimeoutMs: 50 });
    const run = (i: number) =>
      engine.execute({ key: `k${i}`, fingerprint: 'f' }, async () => ({
        response: { status: 201, headers: {}, body: new Uint8Array() },
        record: true,
      }));
    store.faults.claim = 'throw';
    const down = await settleAll(Array.from({ length: STORM }, (_, i) => run(i)));
    expect(down.every((r) => r.status === 'rejected')).toBe(true);
    expect(log.of('bulwark.idempotency.store_unavailable')).toHaveLength(1);
    store.faults.claim = undefined;
    for (let i = 0; i < 10; i++) await run(STORM + i);
    const back = log.of('bulwark.idempotency.store_recovered');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ 'bulwark.refused_requests': STORM });
    expect(log.lines).toHaveLength(2);
  });

  it('logs outcome unknown and lease lost once per episode, with the first request context', async () => {
    const log = logged();
    const store = new FaultyStore(new MemoryStore());
    const engine = createIdempotencyEngine({ store, storeTimeoutMs: 50 });
    const run = (i: number) =>
      withTenant({ tenantId: `t${i}` }, () =>
        engine.execute({ key: `u${i}`, fingerprint: 'f' }, async () => ({
          response: { status: 201, headers: {}, body: new Uint8Array() },
          record: true,
        })),
      );
    store.faults.complete = 'throw';
    for (let i = 0; i < 100; i++) await run(i).catch(() => undefined);
    store.faults.complete = 'fenced';
    for (let i = 100; i < 200; i++) await run(i).catch(() => undefined);
    const unknown = log.of('bulwark.idempotency.outcome_unknown');
    const lost = log.of('bulwark.idempotency.lease_lost');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ level: 50, 'tenant.id': 't0' });
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ level: 40, 'tenant.id': 't100' });
    await quiet();
    expect(log.of('bulwark.idempotency.outcome_unknown.ended')[0]).toMatchObject({
      'bulwark.requests': 100,
    });
  });

  it('stops logging when stopped, and a throwing logger breaks nothing', async () => {
    const lines: unknown[] = [];
    const throwing = {
      info: () => lines.push(1),
      warn: () => {
        throw new Error('disk full');
      },
      error: () => lines.push(1),
    };
    stop = logEvents(throwing);
    const bank = resilient('storm-throwing-logger', {
      retry: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 1, breakDurationMs: 60_000 },
    });
    const first = await bank.execute(() => Promise.reject(resetError())).catch((e) => e);
    expect(first).toMatchObject({ code: 'ECONNRESET' });
    stop();
    stop = undefined;
    const slo = defineSlo({
      name: 'stopped',
      sli: { kind: 'availability' },
      objective: 0.9,
      minEventsToExhaust: 1,
    });
    slo.record({ method: 'GET', route: '/', statusCode: 500, durationSeconds: 0.01 });
    expect(lines).toHaveLength(0);
  });

  it('refuses a logger without the three methods, naming the field', () => {
    expect(() => logEvents({ info() {}, warn() {} } as never)).toThrow(/logger\.error/);
    expect(() => logEvents(console, { quietMs: 0 })).toThrow(/quietMs/);
  });
});
