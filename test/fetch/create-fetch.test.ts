import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFetch, fetchMeta } from '../../src/fetch/index.js';
import { isBulwarkError } from '../../src/index.js';
import { type ScriptedServer, type Step, startScriptedServer } from '../support/scripted-server.js';
import { turn, until } from './loopback.js';

// Short backoffs keep the suite quick; the defaults are tested in test/resilience.
const fast = { retry: { baseDelayMs: 10, maxDelayMs: 40 } } as const;

let server: ScriptedServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

/**
 * The timers a backoff and the shared deadline timer use. Sockets, setImmediate
 * and the clock stay real, so the loopback server answers as usual while the
 * backoff only ends when the test advances time.
 */
const BACKOFF_TIMERS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] as const;

/** A `fetch` for createFetch's `fetch` option that counts attempts sent and answers received. */
function watchedFetch() {
  const seen = { calls: 0, answers: 0 };
  const impl: typeof fetch = async (input, init) => {
    seen.calls++;
    const response = await fetch(input, init);
    seen.answers++;
    return response;
  };
  return { impl, seen };
}

async function serve(...script: Step[]): Promise<ScriptedServer> {
  server = await startScriptedServer(script);
  return server;
}

const keysOf = (s: ScriptedServer) => s.received.map((r) => r.headers['idempotency-key']);
const bodiesOf = (s: ScriptedServer) => s.received.map((r) => r.body.toString('utf8'));

describe('createFetch against a misbehaving server', () => {
  it('503 twice then 200: three attempts, one key, identical bodies', async () => {
    const s = await serve({ status: 503 }, { status: 503 }, { status: 200, body: '{"ok":true}' });
    const f = createFetch({ resilience: fast });
    const res = await f(s.url, {
      method: 'POST',
      body: '{"amount":100}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(s.received).toHaveLength(3);
    const keys = keysOf(s);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(new Set(bodiesOf(s))).toEqual(new Set(['{"amount":100}']));
    expect(fetchMeta(res)).toEqual({
      idempotencyKey: keys[0],
      replayed: false,
      attempts: 3,
      bodyNotReplayable: false,
    });
  });

  it("keeps the caller's own key on every attempt", async () => {
    const s = await serve({ status: 503 }, { status: 201 });
    const f = createFetch({ resilience: fast });
    const res = await f(s.url, {
      method: 'POST',
      body: 'x',
      headers: { 'Idempotency-Key': 'order-42' },
    });
    expect(res.status).toBe(201);
    expect(keysOf(s)).toEqual(['order-42', 'order-42']);
  });

  it('honours Retry-After: 1 before the next attempt', async () => {
    const s = await serve({ status: 503, headers: { 'retry-after': '1' } }, { status: 200 });
    vi.useFakeTimers({ toFake: [...BACKOFF_TIMERS] });
    const { impl, seen } = watchedFetch();
    const f = createFetch({ resilience: fast, fetch: impl });
    const pending = f(s.url);
    await until(() => seen.answers === 1);
    await turn(); // the 503 reached the retry layer: the backoff is armed
    await vi.advanceTimersByTimeAsync(999);
    expect(seen.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen.calls).toBe(2);
    expect((await pending).status).toBe(200);
    expect(s.received).toHaveLength(2);
  });

  it('fails at once when Retry-After is longer than the deadline left', async () => {
    const s = await serve({ status: 503, headers: { 'retry-after': '60' } }, { status: 200 });
    const f = createFetch({
      resilience: {
        ...fast,
        deadline: { totalTimeoutMs: 5_000 },
        attemptTimeout: { timeoutMs: 2_000 },
      },
    });
    const started = performance.now();
    const error = await f(s.url).catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE')).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(s.received).toHaveLength(1);
  });

  it('retries a connection reset before the response head', async () => {
    const s = await serve({ reset: 'before-head' }, { status: 200 });
    const f = createFetch({ resilience: fast });
    const res = await f(s.url, { method: 'POST', body: 'p' });
    expect(res.status).toBe(200);
    expect(s.received).toHaveLength(2);
    expect(new Set(keysOf(s)).size).toBe(1);
  });

  it('does not resend after the response head arrived; the body read fails', async () => {
    const s = await serve({ reset: 'after-head', status: 200 }, { status: 200 });
    const f = createFetch({ resilience: fast });
    const res = await f(s.url, { method: 'POST', body: 'p' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(s.received).toHaveLength(1);
  });

  it('abandons a slow attempt at its timeout and tries again', async () => {
    const s = await serve({ status: 200, delayMs: 2_000 }, { status: 200, body: '"second"' });
    const f = createFetch({ resilience: { ...fast, attemptTimeout: { timeoutMs: 300 } } });
    const res = await f(s.url);
    expect(await res.json()).toBe('second');
    expect(s.received).toHaveLength(2);
  });

  it('times out an attempt whose fetch ignores cancellation, retries, and ignores its late answer', async () => {
    // A `fetch` of the caller's that never looks at its signal: only the attempt's race can end it.
    let late: ((response: Response) => void) | undefined;
    let calls = 0;
    const impl: typeof fetch = () => {
      calls++;
      if (calls === 1) return new Promise<Response>((resolve) => (late = resolve));
      return Promise.resolve(new Response('"second"', { status: 200 }));
    };
    const f = createFetch({
      resilience: { ...fast, attemptTimeout: { timeoutMs: 100 } },
      fetch: impl,
    });
    const res = await f('http://127.0.0.1:9/payments', { method: 'POST', body: '{}' });
    expect(await res.json()).toBe('second');
    expect(fetchMeta(res)?.attempts).toBe(2);
    // The first attempt answers after all: nothing changes, nothing is left unhandled.
    late?.(new Response('"first"', { status: 200 }));
    await turn();
    expect(calls).toBe(2);
  });

  it('the total deadline ends a call whose fetch ignores cancellation', async () => {
    const impl: typeof fetch = () => new Promise<Response>(() => {});
    const f = createFetch({
      resilience: { retry: false, attemptTimeout: false, deadline: { totalTimeoutMs: 100 } },
      fetch: impl,
    });
    const error = await f('http://127.0.0.1:9/payments').catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_DEADLINE_EXCEEDED')).toBe(true);
  });

  it('a fetch that throws at once fails the attempt, and the call retries it', async () => {
    let calls = 0;
    const impl: typeof fetch = () => {
      calls++;
      // As undici words a connection reset: transient, so retried.
      const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (calls === 1) throw new TypeError('fetch failed', { cause: reset });
      return Promise.resolve(new Response('ok', { status: 200 }));
    };
    const f = createFetch({ resilience: fast, fetch: impl });
    const res = await f('http://127.0.0.1:9/payments');
    expect(await res.text()).toBe('ok');
    expect(fetchMeta(res)?.attempts).toBe(2);
  });

  it('409 (in flight) then 201: retried with the same key', async () => {
    const s = await serve({ status: 409 }, { status: 201 });
    const f = createFetch({ resilience: fast });
    const res = await f(s.url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    expect(s.received).toHaveLength(2);
    expect(new Set(keysOf(s)).size).toBe(1);
  });

  it('sends a stream body byte-identical on every attempt', async () => {
    const s = await serve({ status: 503 }, { status: 200 });
    const f = createFetch({ resilience: fast });
    const chunks = ['{"from":"a",', '"to":"b",', '"amount":7}'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const res = await f(s.url, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(bodiesOf(s)).toEqual([chunks.join(''), chunks.join('')]);
  });

  it('sends a stream above the buffer cap once, whole, and says so', async () => {
    const s = await serve({ status: 503 }, { status: 200 });
    const f = createFetch({ resilience: fast, maxBufferedBodyBytes: 4 });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('abcdef'));
        controller.enqueue(new TextEncoder().encode('ghij'));
        controller.close();
      },
    });
    const res = await f(s.url, { method: 'POST', body });
    expect(res.status).toBe(503);
    expect(bodiesOf(s)).toEqual(['abcdefghij']);
    expect(fetchMeta(res)?.bodyNotReplayable).toBe(true);
  });

  it('a POST without a key, when adding keys is off, is sent exactly once', async () => {
    const s = await serve({ status: 503 }, { status: 200 });
    const f = createFetch({ resilience: fast, addIdempotencyKey: false });
    const res = await f(s.url, { method: 'POST', body: 'x' });
    expect(res.status).toBe(503);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.headers['idempotency-key']).toBeUndefined();
  });

  it('never retries 400, 401, 403, 404 or 422', async () => {
    for (const status of [400, 401, 403, 404, 422]) {
      const s = await serve({ status }, { status: 200 });
      const f = createFetch({ resilience: fast });
      const res = await f(s.url, { method: 'POST', body: 'x' });
      expect(res.status).toBe(status);
      expect(s.received).toHaveLength(1);
      await s.close();
    }
    server = undefined;
  });

  it('an open breaker fails fast with retryAfterMs and touches no network', async () => {
    const s = await serve({ status: 503 });
    const f = createFetch({
      resilience: {
        retry: false,
        breaker: { mode: 'consecutive', consecutiveFailures: 2, breakDurationMs: 5_000 },
      },
    });
    expect((await f(s.url)).status).toBe(503);
    expect((await f(s.url)).status).toBe(503);
    const error = await f(s.url).catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_CIRCUIT_OPEN')).toBe(true);
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    expect(s.received).toHaveLength(2);
  });

  it('keeps one breaker per origin', async () => {
    const bad = await startScriptedServer([{ status: 503 }]);
    const good = await serve({ status: 200 });
    const f = createFetch({
      resilience: { retry: false, breaker: { mode: 'consecutive', consecutiveFailures: 1 } },
    });
    await f(bad.url);
    expect(isBulwarkError(await f(bad.url).catch((e: unknown) => e), 'BULWARK_CIRCUIT_OPEN')).toBe(
      true,
    );
    expect((await f(good.url)).status).toBe(200);
    await bad.close();
  });

  it('an abort during backoff rejects at once and starts no further attempt', async () => {
    const s = await serve({ status: 503, headers: { 'retry-after': '1' } }, { status: 200 });
    vi.useFakeTimers({ toFake: [...BACKOFF_TIMERS] });
    const { impl, seen } = watchedFetch();
    const f = createFetch({ resilience: fast, fetch: impl });
    const controller = new AbortController();
    let error: unknown;
    const pending = f(s.url, { signal: controller.signal }).catch((e: unknown) => {
      error = e;
    });
    await until(() => seen.answers === 1);
    await turn(); // in the 1 s backoff now
    controller.abort();
    // No time passes on the backoff's clock: the abort does not wait for it to end.
    await until(() => error !== undefined);
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    await pending;
    expect(seen.calls).toBe(1);
    expect(s.received).toHaveLength(1);
  });

  it('tells the caller when the server replayed', async () => {
    const s = await serve({ status: 201, headers: { 'idempotent-replayed': 'true' } });
    const f = createFetch();
    const res = await f(s.url, { method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k1' } });
    expect(fetchMeta(res)).toMatchObject({ idempotencyKey: 'k1', replayed: true, attempts: 1 });
  });

  it('sends the remaining deadline when asked', async () => {
    const s = await serve({ status: 200 });
    const f = createFetch({
      deadlineHeader: 'X-Request-Timeout-Ms',
      resilience: { deadline: { totalTimeoutMs: 8_000 } },
    });
    await f(s.url);
    const sent = Number(s.received[0]?.headers['x-request-timeout-ms']);
    expect(sent).toBeGreaterThan(7_000);
    expect(sent).toBeLessThanOrEqual(8_000);
  });

  it("accepts a Request object and leaves the caller's headers untouched", async () => {
    const s = await serve({ status: 200 });
    const f = createFetch();
    const headers = new Headers({ 'x-a': '1' });
    const res = await f(new Request(s.url, { method: 'POST', body: 'req-body', headers }));
    expect(res.status).toBe(200);
    expect(bodiesOf(s)).toEqual(['req-body']);
    expect(s.received[0]?.headers['x-a']).toBe('1');
    expect(headers.has('idempotency-key')).toBe(false);
  });

  it('rejects invalid options, naming the field', () => {
    expect(() => createFetch({ maxBufferedBodyBytes: -1 })).toThrow(/maxBufferedBodyBytes/);
    expect(() => createFetch({ baggageOrigins: ['not a url'] })).toThrow(/baggageOrigins/);
    expect(() => createFetch({ spans: 'yes' as never })).toThrow(/spans/);
    expect(() => createFetch({ idempotencyKeyHeader: 'bad header' })).toThrow(
      /idempotencyKeyHeader/,
    );
    expect(() => createFetch({ deadlineHeader: 'x-deadline:' })).toThrow(/deadlineHeader/);
  });
});
