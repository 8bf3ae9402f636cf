import { afterEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { isBulwarkError } from '../../src/index.js';
import { type Loopback, startLoopback, turn, until, within } from './loopback.js';

// A short deadline keeps each test bounded; `within` turns a hang into a failure. The
// elapsed-time checks are loose on purpose (shared machines): the error code says which
// bound cut the call, the time only that it was cut long before the test's own bound.
const short = {
  retry: false,
  deadline: { totalTimeoutMs: 400 },
  attemptTimeout: { timeoutMs: 400 },
} as const;
// For uploads: an attempt timeout well inside the deadline, so which one cut is visible.
const upload = {
  retry: false,
  deadline: { totalTimeoutMs: 1_000 },
  attemptTimeout: { timeoutMs: 250 },
} as const;

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that sends the response head and a first chunk, then never ends the body. */
async function stallAfterHead(): Promise<Loopback> {
  server = await startLoopback((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":');
  });
  return server;
}

/** A server that reads the whole request body, then answers 200. */
async function readsThenAnswers(): Promise<Loopback> {
  server = await startLoopback((req, res) => {
    req.on('end', () => res.end('{"ok":true}'));
    req.resume();
  });
  return server;
}

const readers = {
  text: (res: Response) => res.text(),
  json: (res: Response) => res.json(),
  arrayBuffer: (res: Response) => res.arrayBuffer(),
  'body reader': async (res: Response) => {
    const reader = res.body!.getReader();
    for (;;) if ((await reader.read()).done) return;
  },
};

describe('the deadline covers the response body', () => {
  for (const [name, read] of Object.entries(readers)) {
    it(`a body that stalls after the headers: ${name} rejects with BULWARK_DEADLINE_EXCEEDED`, async () => {
      const s = await stallAfterHead();
      const f = createFetch({ resilience: short });
      const started = performance.now();
      const res = await f(`${s.origin}/statement`);
      expect(res.status).toBe(200);
      const outcome = await within(read(res), 3_000);
      expect(outcome).not.toBe('still pending');
      const error = (outcome as { error: unknown }).error;
      expect(isBulwarkError(error, 'BULWARK_DEADLINE_EXCEEDED')).toBe(true);
      // The deadline counts from the call's start: headers and body share it.
      expect(performance.now() - started).toBeLessThan(2_000);
      // The connection is given up, not left open for the server to fill.
      await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    });
  }

  for (const [name, read] of Object.entries(readers)) {
    it(`an unread body is cut at the deadline, freeing the connection; a later ${name} rejects`, async () => {
      const s = await stallAfterHead();
      const f = createFetch({ resilience: short });
      const res = await f(`${s.origin}/statement`);
      await expect.poll(() => s.seen[0]?.closedEarly, { timeout: 2_000 }).toBe(true);
      // Never a short body that reads as complete.
      const error = await read(res).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      expect(isBulwarkError(error, 'BULWARK_DEADLINE_EXCEEDED')).toBe(true);
    });
  }

  it('a body that completes in time reads normally, status, url and headers kept', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-bank': 'yes' });
      res.write('{"amount":');
      setTimeout(() => res.end('100}'), 50);
    });
    const f = createFetch({ resilience: short });
    const res = await f(`${server.origin}/statement`);
    expect(res).toBeInstanceOf(Response);
    expect(res.url).toBe(`${server.origin}/statement`);
    expect(res.type).toBe('basic');
    expect(res.redirected).toBe(false);
    expect(res.headers.get('x-bank')).toBe('yes');
    const copy = res.clone();
    expect(await res.json()).toEqual({ amount: 100 });
    expect(await copy.text()).toBe('{"amount":100}');
    expect(res.bodyUsed).toBe(true);
  });
});

describe('a body received in full before the call resolved', () => {
  /** A server that answers a small body in one write, as most JSON APIs do. */
  async function smallAnswer(): Promise<Loopback> {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"settled":true}');
    });
    return server;
  }

  it('is not cut by the deadline afterwards: nothing is left to wait for', async () => {
    const s = await smallAnswer();
    const f = createFetch({ resilience: short });
    const res = await f(`${s.origin}/statement`);
    // Read well after the 400 ms deadline passed: the bytes are already here.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await res.json()).toEqual({ settled: true });
  });

  it("is still cut by the caller's abort before it is read, as fetch's own body would be", async () => {
    const s = await smallAnswer();
    const f = createFetch({ resilience: short });
    const controller = new AbortController();
    const res = await f(`${s.origin}/statement`, { signal: controller.signal });
    const reason = new Error('client went away');
    controller.abort(reason);
    const error = await res.text().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
  });
});

describe("the caller's signal covers the response body", () => {
  it('an abort while the body is read rejects with BULWARK_ABORTED carrying the reason', async () => {
    const s = await stallAfterHead();
    const f = createFetch({ resilience: { retry: false } });
    const controller = new AbortController();
    const res = await f(`${s.origin}/statement`, { signal: controller.signal });
    const reading = res.text();
    await turn(); // the read is under way, waiting on a body that never comes
    const reason = new Error('client went away');
    controller.abort(reason);
    const outcome = await within(reading, 3_000);
    expect(outcome).not.toBe('still pending');
    const error = (outcome as { error: unknown }).error;
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
  });

  it('is the same error an abort before the headers gives', async () => {
    server = await startLoopback(() => {});
    const f = createFetch({ resilience: { retry: false } });
    const controller = new AbortController();
    const pending = f(`${server.origin}/statement`, { signal: controller.signal });
    await server.arrived(1);
    const reason = new Error('client went away');
    controller.abort(reason);
    const error = await pending.catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
  });
});

/** A request body stream that yields `first`, then neither ends nor errors; records its cancel. */
function stallingStream(first: string) {
  const state = { cancelled: false as boolean, reason: undefined as unknown, pulls: 0 };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(first));
    },
    pull() {
      state.pulls++;
    },
    cancel(reason) {
      state.cancelled = true;
      state.reason = reason;
    },
  });
  return { stream, state };
}

describe('a stalled request body stream is cut', () => {
  it('under the buffer cap: the call rejects within the attempt timeout and sends nothing', async () => {
    const s = await readsThenAnswers();
    const f = createFetch({ resilience: upload });
    const { stream, state } = stallingStream('{"amount":');
    const started = performance.now();
    const outcome = await within(
      f(`${s.origin}/payments`, { method: 'POST', body: stream }),
      3_000,
    );
    expect(outcome).not.toBe('still pending');
    const error = (outcome as { error: unknown }).error;
    expect(isBulwarkError(error, 'BULWARK_ATTEMPT_TIMEOUT')).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(state.cancelled).toBe(true);
    expect(s.seen).toHaveLength(0);
  });

  it("under the buffer cap: the caller's abort cuts it", async () => {
    const s = await readsThenAnswers();
    const f = createFetch();
    const { stream, state } = stallingStream('{"amount":');
    const controller = new AbortController();
    const pending = f(`${s.origin}/payments`, {
      method: 'POST',
      body: stream,
      signal: controller.signal,
    });
    await until(() => state.pulls > 0); // the wrapper is reading the stream
    const reason = new Error('client went away');
    controller.abort(reason);
    const outcome = await within(pending, 3_000);
    expect(outcome).not.toBe('still pending');
    const error = (outcome as { error: unknown }).error;
    expect(isBulwarkError(error, 'BULWARK_ABORTED')).toBe(true);
    expect((error as Error).cause).toBe(reason);
    expect(state.cancelled).toBe(true);
    expect(s.seen).toHaveLength(0);
  });

  it('above the cap (sent as it streams): the attempt timeout cuts the upload and the stream', async () => {
    const s = await readsThenAnswers();
    const f = createFetch({ resilience: upload, maxBufferedBodyBytes: 4 });
    const { stream, state } = stallingStream('{"amount":100,');
    const started = performance.now();
    const outcome = await within(
      f(`${s.origin}/payments`, { method: 'POST', body: stream }),
      3_000,
    );
    expect(outcome).not.toBe('still pending');
    const error = (outcome as { error: unknown }).error;
    expect(isBulwarkError(error, 'BULWARK_ATTEMPT_TIMEOUT')).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
    // The server got the head and a partial body, then the connection closed.
    expect(s.seen).toHaveLength(1);
    await expect.poll(() => s.seen[0]?.closedEarly).toBe(true);
    expect(s.seen[0]?.ended).toBe(false);
    await expect.poll(() => state.cancelled).toBe(true);
  });
});
