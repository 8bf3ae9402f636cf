import { BrokenCircuitError, BulkheadRejectedError } from 'cockatiel';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type ErrorHandlerOptions, errorHandler } from '../../src/express/index.js';
import { BulwarkError, ErrorCode, isBulwarkError, withTenant } from '../../src/index.js';
import { majors, type Served, serve } from './serve.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function post(url: string, init: RequestInit = {}) {
  const response = await fetch(url, { method: 'POST', ...init });
  const text = await response.text();
  return { response, text, body: JSON.parse(text) as Record<string, unknown> };
}

const wrap = (code: string, retryAfterMs?: number) =>
  new BulwarkError(code as never, `breaker "bank.internal:8443" said no`, { retryAfterMs });

describe.each(majors)('errorHandler() on $name', (major) => {
  const { express } = major;

  /**
   * An app whose `/fail` route fails with `error`: thrown, or when `async`
   * rejected (Express 5) or passed to `next` after an await (Express 4, which
   * never sees a rejected promise).
   */
  async function failWith(error: unknown, options?: ErrorHandlerOptions, async = false) {
    const app = express();
    app.use(express.json({ limit: '1kb' }));
    const fail: RequestHandler = async
      ? async (_req, _res, next) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (!major.catchesRejections) return next(error);
          throw error;
        }
      : () => {
          throw error;
        };
    app.post('/fail', fail);
    app.post('/echo', (req, res) => {
      res.json(req.body);
    });
    app.use(errorHandler(options));
    served = await serve(app);
    return served;
  }

  describe('errorHandler() maps bulwark and cockatiel errors', () => {
    it.each([
      ['an open breaker', wrap(ErrorCode.CircuitOpen, 2500), 503, 'circuit-open', '3'],
      ['an open breaker without a wait', wrap(ErrorCode.CircuitOpen), 503, 'circuit-open', '1'],
      ['a full bulkhead', wrap(ErrorCode.BulkheadFull), 503, 'overloaded', '1'],
      [
        'a spent retry budget',
        wrap(ErrorCode.RetryBudgetExhausted),
        503,
        'retry-budget-exhausted',
        '1',
      ],
      [
        'a Retry-After past the deadline',
        wrap(ErrorCode.RetryAfterExceedsDeadline, 30_000),
        503,
        'downstream-busy',
        '30',
      ],
      ['a deadline', wrap(ErrorCode.DeadlineExceeded), 503, 'deadline-exceeded', '1'],
      ['an attempt timeout', wrap(ErrorCode.AttemptTimeout), 503, 'deadline-exceeded', '1'],
      [
        'a downstream connection reset',
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }),
        }),
        503,
        'downstream-unreachable',
        '1',
      ],
      [
        'a key still in flight',
        wrap(ErrorCode.IdempotencyInFlight, 800),
        409,
        'idempotency-in-flight',
        '1',
      ],
      ['a key reused', wrap(ErrorCode.IdempotencyMismatch), 422, 'idempotency-mismatch', null],
      [
        'a store down',
        wrap(ErrorCode.IdempotencyStoreUnavailable),
        503,
        'idempotency-store-unavailable',
        '1',
      ],
      ['a body too large', wrap(ErrorCode.PayloadTooLarge), 413, 'payload-too-large', null],
      [
        'an unrecorded outcome',
        wrap(ErrorCode.IdempotencyOutcomeUnknown, 30_000),
        500,
        'idempotency-outcome-unknown',
        '30',
      ],
      [
        'a lease lost before recording',
        wrap(ErrorCode.IdempotencyLeaseLost, 1_000),
        500,
        'idempotency-lease-lost',
        '1',
      ],
      ["cockatiel's BrokenCircuitError", new BrokenCircuitError(), 503, 'circuit-open', '1'],
      [
        "cockatiel's BulkheadRejectedError",
        new BulkheadRejectedError(4, 0),
        503,
        'overloaded',
        '1',
      ],
    ])('answers %s with problem+json', async (_name, error, status, slug, retryAfter) => {
      const { url } = await failWith(error, {}, true);
      const { response, text, body } = await post(`${url}/fail`);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('retry-after')).toBe(retryAfter);
      expect(body).toMatchObject({ type: `urn:bulwark:problem:${slug}`, status });
      expect(text).not.toContain('bank.internal');
      expect(text).not.toContain('Bulkhead capacity');
    });

    it('uses the configured Retry-After when the error carries none', async () => {
      const { url } = await failWith(wrap(ErrorCode.CircuitOpen), { retryAfterMs: 4200 });
      const { response, body } = await post(`${url}/fail`);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(body.code).toBe('BULWARK_CIRCUIT_OPEN');
    });
  });

  describe('errorHandler() maps client errors', () => {
    it('answers an invalid tenant with 400 naming the field', async () => {
      let thrown: unknown;
      try {
        withTenant({ tenantId: 'acme', jurisdiction: 'Atlantis' }, () => undefined);
      } catch (error) {
        thrown = error;
      }
      const { url } = await failWith(thrown);
      const { response, body } = await post(`${url}/fail`);
      expect(response.status).toBe(400);
      expect(body).toMatchObject({
        type: 'urn:bulwark:problem:invalid-tenant',
        field: 'jurisdiction',
        code: 'BULWARK_INVALID_JURISDICTION',
      });
    });

    it('answers a body over the express.json() limit with 413', async () => {
      const { url } = await failWith(new Error('unused'));
      const { response, body } = await post(`${url}/echo`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(4096) }),
      });
      expect(response.status).toBe(413);
      expect(body).toMatchObject({ type: 'urn:bulwark:problem:payload-too-large', status: 413 });
    });

    it('answers invalid JSON with 400 and does not echo the parser message', async () => {
      const { url } = await failWith(new Error('unused'));
      const { response, text, body } = await post(`${url}/echo`, {
        headers: { 'content-type': 'application/json' },
        body: '{"amount": 12, secret-token}',
      });
      expect(response.status).toBe(400);
      expect(body.type).toBe('urn:bulwark:problem:malformed-body');
      expect(text).not.toMatch(/secret-token|Unexpected|position/);
    });

    it.each([
      ['gzip', 'not gzip at all'],
      ['deflate', 'not deflate either'],
    ])('answers a %s body that does not decompress with 400, not 500', async (encoding, body) => {
      const { url } = await failWith(new Error('unused'));
      const { response, text } = await post(`${url}/echo`, {
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });
      expect(response.status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ type: 'urn:bulwark:problem:http-400', status: 400 });
      expect(text).not.toContain('header check');
    });

    it('answers an unsupported Content-Encoding with 415', async () => {
      const { url } = await failWith(new Error('unused'));
      const { response } = await post(`${url}/echo`, {
        headers: { 'content-type': 'application/json', 'content-encoding': 'br-unknown' },
        body: '{}',
      });
      expect(response.status).toBe(415);
    });
  });

  describe('errorHandler() hides everything else', () => {
    const secret = new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2');

    it.each([
      ['a thrown Error', secret, false],
      ['a rejected promise', secret, true],
      ['a thrown string', 'password=hunter2', false],
      ['a bulwark programming error', new BulwarkError(ErrorCode.InvalidOptions, 'hunter2'), false],
      [
        'an error with a status of its own',
        Object.assign(new Error('hunter2'), { status: 404 }),
        false,
      ],
    ])('answers %s with a bare 500', async (_name, error, async) => {
      const { url } = await failWith(error, {}, async);
      const { response, text, body } = await post(`${url}/fail`);
      expect(response.status).toBe(500);
      expect(body).toEqual({
        type: 'urn:bulwark:problem:internal',
        title: 'Internal server error',
        status: 500,
      });
      expect(text).not.toMatch(/hunter2|10\.1\.2\.3|at |stack/);
    });

    it('hands every error and the request to onError, and survives a throwing one', async () => {
      const seen: Array<[unknown, string]> = [];
      const onError = (error: unknown, req: Request) => {
        seen.push([error, req.path]);
        throw new Error('logger down');
      };
      const { url } = await failWith(secret, { onError });
      expect((await post(`${url}/fail`)).response.status).toBe(500);
      expect(seen).toEqual([[secret, '/fail']]);
    });

    it('ignores a rejecting async onError', async () => {
      const { url } = await failWith(secret, {
        onError: async () => Promise.reject(new Error('x')),
      });
      expect((await post(`${url}/fail`)).response.status).toBe(500);
    });

    it('cuts off a response that has already started, and tells onError', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.get('/half', (_req, res, next) => {
        res.status(200).write('{"partial":');
        next(secret);
      });
      app.use(errorHandler({ onError: (error) => seen.push(error) }));
      served = await serve(app);
      const response = await fetch(`${served.url}/half`);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
      expect(seen).toEqual([secret]);
    });
  });

  describe('errorHandler() construction', () => {
    it.each([
      ['onError', { onError: 'console' }],
      ['retryAfterMs', { retryAfterMs: -1 }],
      ['retryAfterMs', { retryAfterMs: Number.NaN }],
      ['retryAfterMs', { retryAfterMs: '1000' }],
      ['options', 'verbose'],
    ])('refuses an invalid %s when created', (field, options) => {
      let thrown: unknown;
      try {
        errorHandler(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(isBulwarkError(thrown, 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((thrown as Error).message).toContain(`"${field}"`);
    });

    it('returns a named four-argument function, which Express needs to see an error handler', () => {
      const handler = errorHandler();
      expect(handler.name).toBe('errorHandlerMiddleware');
      expect(handler.length).toBe(4);
    });

    it('explains app.use(errorHandler) without the call', async () => {
      const seen: unknown[] = [];
      const app = express();
      app.use(errorHandler as unknown as RequestHandler);
      const last: ErrorRequestHandler = (error, _req, res, _next) => {
        seen.push(error);
        res.status(500).end();
      };
      app.use(last);
      served = await serve(app);
      await fetch(`${served.url}/nowhere`);
      expect(isBulwarkError(seen[0], 'BULWARK_INVALID_OPTIONS')).toBe(true);
      expect((seen[0] as Error).message).toContain('app.use(errorHandler())');
    });
  });
});
