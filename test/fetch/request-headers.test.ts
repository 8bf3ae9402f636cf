import type { IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, fetchMeta } from '../../src/fetch/index.js';
import { type ScriptedServer, startScriptedServer } from '../support/scripted-server.js';

/*
 * createFetch() keeps the caller's headers in a record of its own rather than
 * a `Headers` (src/fetch/header-record.ts). What a server receives must not
 * tell the two apart: each case here sends the same headers through plain
 * `fetch` and through createFetch() and compares what arrived.
 */

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(): Promise<ScriptedServer> {
  server = await startScriptedServer([{ status: 200 }]);
  return server;
}

/** What arrived, minus the headers that differ between any two requests or clients. */
function callerHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { host, connection, 'keep-alive': _k, ...rest } = headers;
  return rest;
}

const GIVEN: Record<string, () => HeadersInit> = {
  'a plain object with mixed-case names and padded values': () => ({
    'X-Amount': '  100.00 ',
    'x-note': 'a\tb',
    Accept: 'application/json',
  }),
  'pairs that repeat a name, cookies included': () => [
    ['x-a', '1'],
    ['X-A', '2'],
    ['cookie', 'a=1'],
    ['Cookie', 'b=2'],
  ],
  'a Headers object': () => new Headers({ 'x-a': '1', 'X-B': '2' }),
  'a header named __proto__': () => [['__proto__', 'kept']],
  'a Map of names to values': () => new Map([['x-a', '1']]) as unknown as HeadersInit,
  // Another package's Headers (npm undici, node-fetch): iterable, but no instance of the global one.
  'a Headers of another implementation': () =>
    ({
      *[Symbol.iterator]() {
        yield ['x-a', '1'];
        yield ['x-b', '2'];
      },
    }) as unknown as HeadersInit,
};

describe('createFetch() sends the headers plain fetch sends', () => {
  for (const [name, given] of Object.entries(GIVEN)) {
    it(`given ${name}`, async () => {
      const s = await serve();
      await fetch(s.url, { headers: given() });
      await createFetch()(s.url, { headers: given() });
      const [plain, wrapped] = s.received.map((r) => callerHeaders(r.headers));
      expect(wrapped).toEqual(plain);
      expect(Object.keys(plain ?? {}).length).toBeGreaterThan(0);
    });
  }

  it("given a Request, with the Request's headers", async () => {
    const s = await serve();
    const request = () =>
      new Request(s.url, {
        headers: [
          ['x-a', '1'],
          ['x-a', '2'],
        ],
      });
    await fetch(request());
    await createFetch()(request());
    const [plain, wrapped] = s.received.map((r) => callerHeaders(r.headers));
    expect(wrapped).toEqual(plain);
    expect(wrapped?.['x-a']).toBe('1, 2');
  });
});

/**
 * A `fetch` for createFetch's `fetch` option that counts the attempts made:
 * a refused header must fail the call before any attempt, so that a caller's
 * bug is neither retried nor counted against the origin's breaker.
 */
function countingFetch() {
  const seen = { attempts: 0 };
  const impl: typeof fetch = (input, init) => {
    seen.attempts++;
    return fetch(input, init);
  };
  return { impl, seen };
}

describe('createFetch() refuses the headers plain fetch refuses, before any attempt', () => {
  const refused: Record<string, HeadersInit> = {
    'a name with a space': { 'bad name': 'x' },
    'a value with a line break': { 'x-a': 'a\r\nx-injected: 1' },
    'a value outside Latin-1': { 'x-a': 'price €' },
  };
  for (const [name, headers] of Object.entries(refused)) {
    it(name, async () => {
      const s = await serve();
      const counted = countingFetch();
      await expect(fetch(s.url, { headers })).rejects.toBeInstanceOf(TypeError);
      const f = createFetch({ fetch: counted.impl });
      await expect(f(s.url, { method: 'POST', headers })).rejects.toBeInstanceOf(TypeError);
      expect(counted.seen.attempts).toBe(0);
      expect(s.received).toHaveLength(0);
    });
  }

  it('a generated key that is not a valid header value', async () => {
    const s = await serve();
    const counted = countingFetch();
    const f = createFetch({ fetch: counted.impl, generateKey: () => 'key\nx-injected: 1' });
    await expect(f(s.url, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(TypeError);
    expect(counted.seen.attempts).toBe(0);
    expect(s.received).toHaveLength(0);
  });
});

describe('the idempotency key header, whatever its case', () => {
  it("reuses the caller's key given under another case than the option's", async () => {
    const s = await serve();
    const f = createFetch({ idempotencyKeyHeader: 'X-Request-Key' });
    const res = await f(s.url, { method: 'POST', body: '{}', headers: { 'x-REQUEST-key': 'k-1' } });
    expect(s.received[0]?.headers['x-request-key']).toBe('k-1');
    expect(fetchMeta(res)?.idempotencyKey).toBe('k-1');
  });

  it("adds the key under the option's name when the caller gave none", async () => {
    const s = await serve();
    const f = createFetch({ idempotencyKeyHeader: 'X-Request-Key', generateKey: () => 'gen-1' });
    await f(s.url, { method: 'POST', body: '{}' });
    expect(s.received[0]?.headers['x-request-key']).toBe('gen-1');
    expect(s.received[0]?.headers['idempotency-key']).toBeUndefined();
  });
});
