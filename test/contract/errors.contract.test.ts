import { randomUUID } from 'node:crypto';
import { BrokenCircuitError } from 'cockatiel';
import { afterEach, describe, expect, it } from 'vitest';
import { BulwarkError, ErrorCode } from '../../src/index.js';
import { wire } from '../express/wire.js';
import { adapters, closeApps, type RouteSpec } from './adapters.js';

/*
 * The errors contract, the same on every framework: errors become problem+json
 * from the one problem table (never a message or a stack), and an error raised
 * after an answer never writes a second head.
 */

afterEach(closeApps);

const failWith = (error: unknown): RouteSpec => ({
  method: 'POST',
  path: '/fail',
  idempotency: false,
  handler: async () => {
    await Promise.resolve();
    throw error;
  },
});

const secret = (code: string, retryAfterMs?: number) =>
  new BulwarkError(code as never, 'breaker "bank.internal:8443" said no', { retryAfterMs });

describe.each(adapters)('errors contract on $name', (adapter) => {
  it.each([
    ['an open breaker', secret(ErrorCode.CircuitOpen, 2_500), 503, 'circuit-open', '3'],
    ['a full bulkhead', secret(ErrorCode.BulkheadFull), 503, 'overloaded', '1'],
    ['a deadline', secret(ErrorCode.DeadlineExceeded), 503, 'deadline-exceeded', '1'],
    [
      'a key in flight',
      secret(ErrorCode.IdempotencyInFlight, 800),
      409,
      'idempotency-in-flight',
      '1',
    ],
    ['a key reused', secret(ErrorCode.IdempotencyMismatch), 422, 'idempotency-mismatch', null],
    [
      'a store down',
      secret(ErrorCode.IdempotencyStoreUnavailable),
      503,
      'idempotency-store-unavailable',
      '1',
    ],
    ["cockatiel's BrokenCircuitError", new BrokenCircuitError(), 503, 'circuit-open', '1'],
    [
      'a downstream reset',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('s'), { code: 'ECONNRESET' }),
      }),
      503,
      'downstream-unreachable',
      '1',
    ],
    ['anything else', new Error('SELECT * FROM bank.internal'), 500, 'internal', null],
  ])('answers %s with problem+json', async (_name, error, status, slug, retryAfter) => {
    const app = await adapter.makeApp({ tenant: false, routes: [failWith(error)] });
    const response = await fetch(`${app.url}/fail`, { method: 'POST' });
    const text = await response.text();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    expect(JSON.parse(text)).toMatchObject({ type: `urn:bulwark:problem:${slug}`, status });
    expect(text).not.toContain('bank.internal');
  });

  it('uses the configured Retry-After when the error carries none, and tells onError', async () => {
    const seen: unknown[] = [];
    const error = secret(ErrorCode.CircuitOpen);
    const app = await adapter.makeApp({
      tenant: false,
      errors: { retryAfterMs: 4_200, onError: (e) => seen.push(e) },
      routes: [failWith(error)],
    });
    const response = await fetch(`${app.url}/fail`, { method: 'POST' });
    expect(response.headers.get('retry-after')).toBe('5');
    expect(seen).toEqual([error]);
  });

  it('400 problem+json for a malformed JSON body', async () => {
    const app = await adapter.makeApp({
      tenant: false,
      routes: [
        {
          method: 'POST',
          path: '/echo',
          idempotency: false,
          handler: ({ body }) => ({ json: body }),
        },
      ],
    });
    const response = await fetch(`${app.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"amount":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'urn:bulwark:problem:malformed-body' });
  });

  it('an idempotent handler that answers and then throws: one answer on the wire, recorded, the connection serves on', async () => {
    let runs = 0;
    const errors: unknown[] = [];
    const app = await adapter.makeApp({
      tenant: false,
      errors: { onError: (error) => errors.push(error) },
      routes: [
        {
          method: 'POST',
          path: '/transfers',
          handler: () => {
            runs += 1;
            return { status: 201, text: 'made', thenThrow: new Error('after the answer') };
          },
        },
      ],
    });
    const connection = await wire(app.port);
    const key = randomUUID();
    const request = `POST /transfers HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${key}\r\nContent-Length: 0\r\n\r\n`;
    connection.send(request);
    const first = await connection.nextResponse();
    expect([first.status, first.body.toString()]).toEqual([201, 'made']);
    connection.send(request);
    const replay = await connection.nextResponse();
    expect([replay.status, replay.headers['idempotent-replayed'], replay.body.toString()]).toEqual([
      201,
      'true',
      'made',
    ]);
    expect((await connection.leftover(100)).toString()).toBe('');
    connection.close();
    expect(runs).toBe(1);
    // The error is not lost: the error handler tells onError.
    await expect.poll(() => errors.length).toBe(1);
  });
});
