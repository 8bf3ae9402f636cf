import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createFetch, type FetchOptions } from '../../src/fetch/index.js';
import { isBulwarkError } from '../../src/index.js';
import { type Loopback, startLoopback, turn, within } from './loopback.js';

// Each way an attempt's exchange can be cancelled, against a real server that
// stalls: before the response head, and in the middle of the body. What must
// hold every time: the call (or the read) rejects with the typed error of what
// cut it, the client drops the connection (the server sees it close before its
// answer finished), and nothing stays on the caller's signal.

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that reads the request, then never answers. */
async function stallBeforeHead(): Promise<Loopback> {
  server = await startLoopback((req) => req.resume());
  return server;
}

/** A server that sends the head and a first chunk, then never ends the body. */
async function stallInBody(): Promise<Loopback> {
  server = await startLoopback((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":');
  });
  return server;
}

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** A dispatcher of the caller's own (a proxy agent, say): forwards to the global one, counting. */
function countingDispatcher() {
  const counted = {
    requests: 0,
    dispatch(options: object, handler: object): boolean {
      counted.requests++;
      const global = (globalThis as Record<symbol, unknown>)[GLOBAL_DISPATCHER] as {
        dispatch(options: object, handler: object): boolean;
      };
      return global.dispatch(options, handler);
    },
  };
  return counted;
}

/**
 * The three paths a request takes: Node's fetch (cancelled through a
 * dispatcher of bulwark's), Node's fetch with the caller's own dispatcher
 * (which must still send every request), and a fetch of the caller's (which
 * may not know dispatchers: cancelled through a signal).
 */
const paths = {
  "Node's fetch": () => ({ options: {}, init: {}, check: () => {} }),
  "a caller's dispatcher": () => {
    const dispatcher = countingDispatcher();
    return {
      options: {},
      init: { dispatcher },
      check: () => expect(dispatcher.requests).toBeGreaterThan(0),
    };
  },
  "a fetch of the caller's": () => ({
    options: { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) },
    init: {},
    check: () => {},
  }),
} satisfies Record<
  string,
  () => { options: FetchOptions; init: RequestInit & { dispatcher?: unknown }; check(): void }
>;

/** The rejection `pending` settles with, or a failure if it resolves or hangs. */
async function rejection(pending: Promise<unknown>): Promise<unknown> {
  const outcome = await within(pending, 3_000);
  expect(outcome).not.toBe('still pending');
  expect(outcome).toHaveProperty('error');
  return (outcome as { error: unknown }).error;
}

describe.each(Object.entries(paths))('cancelling an exchange through %s', (_name, path) => {
  it('the attempt timeout cuts a server that never answers, and drops its connection', async () => {
    const s = await stallBeforeHead();
    const { options, init, check } = path();
    const f = createFetch({
      ...options,
      resilience: { retry: false, attemptTimeout: { timeoutMs: 150 } },
    });
    const error = await rejection(f(`${s.origin}/payments`, init));
    expect(isBulwarkError(error, 'BULWARK_ATTEMPT_TIMEOUT')).toBe(true);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    check();
  });

  it('the total deadline cuts a server that never answers, and drops its connection', async () => {
    const s = await stallBeforeHead();
    const { options, init, check } = path();
    const f = createFetch({
      ...options,
      resilience: { retry: false, attemptTimeout: false, deadline: { totalTimeoutMs: 150 } },
    });
    const error = await rejection(f(`${s.origin}/payments`, init));
    expect(isBulwarkError(error, 'BULWARK_DEADLINE_EXCEEDED')).toBe(true);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    check();
  });

  it("the caller's abort cuts a server that never answers, drops its connection and leaves no listener", async () => {
    const s = await stallBeforeHead();
    const { options, init, check } = path();
    const f = createFetch({ ...options, resilience: { retry: false } });
    const controller = new AbortController();
    const pending = f(`${s.origin}/payments`, { ...init, signal: controller.signal });
    await s.arrived(1);
    const reason = new Error('client went away');
    controller.abort(reason);
    const error = await rejection(pending);
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    check();
  });

  it("the caller's abort cuts a body that stalls, drops its connection and leaves no listener", async () => {
    const s = await stallInBody();
    const { options, init, check } = path();
    const f = createFetch({ ...options, resilience: { retry: false } });
    const controller = new AbortController();
    const res = await f(`${s.origin}/statement`, { ...init, signal: controller.signal });
    const reading = res.text();
    await turn(); // the read is under way, waiting on a body that never comes
    const reason = new Error('client went away');
    controller.abort(reason);
    const error = await rejection(reading);
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    check();
  });

  it('the total deadline cuts a body that stalls, and drops its connection', async () => {
    const s = await stallInBody();
    const { options, init, check } = path();
    const f = createFetch({
      ...options,
      resilience: { retry: false, deadline: { totalTimeoutMs: 300 } },
    });
    const controller = new AbortController();
    const res = await f(`${s.origin}/statement`, { ...init, signal: controller.signal });
    const error = await rejection(res.arrayBuffer());
    expect(isBulwarkError(error, 'BULWARK_DEADLINE_EXCEEDED')).toBe(true);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    check();
  });

  it('a call that finishes leaves the connection open for the next one', async () => {
    server = await startLoopback((_req, res) => res.end('{"ok":true}'));
    const { options, init, check } = path();
    const f = createFetch(options);
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) {
      const res = await f(`${server.origin}/payments`, { ...init, signal: controller.signal });
      expect(await res.json()).toEqual({ ok: true });
    }
    // A cancel that came too late must not have cut a finished exchange.
    controller.abort(new Error('after the fact'));
    await turn();
    expect(server.seen.map((seen) => seen.closedEarly)).toEqual([false, false, false]);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    check();
  });
});
