import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { logFields, withTenant } from '../../src/index.js';
import { lineSink, registerTracing } from './otel.js';

let unregister: () => void;
beforeAll(() => {
  unregister = registerTracing();
});
afterAll(() => unregister());

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

describe('logFields()', () => {
  it('puts the trace and the tenant on a real pino line (mixin) inside withTenant and an active span', () => {
    const sink = lineSink();
    const logger = pino({ mixin: () => logFields() }, sink.stream);
    const tracer = trace.getTracer('test');
    let ids = { traceId: '', spanId: '' };
    withTenant({ tenantId: 'acme', jurisdiction: 'de', transactionType: 'payout' }, () =>
      tracer.startActiveSpan('transfer', (span) => {
        ids = span.spanContext();
        logger.info({ amount: 1200 }, 'transfer accepted');
        span.end();
      }),
    );
    expect(sink.lines).toHaveLength(1);
    const line = sink.lines[0]!;
    expect(line).toMatchObject({
      msg: 'transfer accepted',
      amount: 1200,
      trace_id: ids.traceId,
      span_id: ids.spanId,
      trace_flags: '01',
      'tenant.id': 'acme',
      'tenant.jurisdiction': 'DE',
      'transaction.type': 'payout',
    });
    expect(line.trace_id).toMatch(HEX32);
    expect(line.span_id).toMatch(HEX16);
  });

  it('leaves out what is not known: no span, no tenant, no optional tenant field', () => {
    expect(logFields()).toEqual({});
    const fields = withTenant({ tenantId: 'acme' }, () => logFields());
    expect(fields).toEqual({ 'tenant.id': 'acme' });
    expect(Object.keys(fields)).not.toContain('trace_id');
  });

  it('reads the context when the line is written, not when the logger was made', async () => {
    const sink = lineSink();
    const logger = pino({ mixin: () => logFields() }, sink.stream);
    await Promise.all(
      ['t1', 't2', 't3'].map((tenantId) =>
        withTenant({ tenantId }, async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
          logger.info('done');
        }),
      ),
    );
    expect(sink.lines.map((l) => l['tenant.id']).sort()).toEqual(['t1', 't2', 't3']);
  });

  it('works as a winston format', () => {
    const lines: Record<string, unknown>[] = [];
    const withContext = winston.format((info) => Object.assign(info, logFields()));
    const logger = winston.createLogger({
      format: winston.format.combine(withContext(), winston.format.json()),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk, _encoding, done) {
              lines.push(JSON.parse(String(chunk)));
              done();
            },
          }),
        }),
      ],
    });
    trace.getTracer('test').startActiveSpan('w', (span) => {
      withTenant({ tenantId: 'globex', jurisdiction: 'US-NY' }, () => logger.warn('slow bank'));
      span.end();
    });
    expect(lines[0]).toMatchObject({
      message: 'slow bank',
      trace_id: expect.stringMatching(HEX32),
      'tenant.id': 'globex',
      'tenant.jurisdiction': 'US-NY',
    });
  });
});
