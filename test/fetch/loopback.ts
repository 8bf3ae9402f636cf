import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as a {@link Loopback} server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The body bytes received so far (all of them once `ended`). */
  readonly body: Buffer[];
  /** True once the whole request body arrived. */
  ended: boolean;
  /** True when the client closed the connection before the response finished. */
  closedEarly: boolean;
}

/** A real HTTP server on 127.0.0.1 driven by a handler of the test's own. */
export interface Loopback {
  readonly origin: string;
  readonly seen: SeenRequest[];
  /** Resolves once `count` requests have arrived. */
  arrived(count: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a loopback server that records each request (headers at once, body
 * as it streams in) and hands it to `handle`, which may answer whenever it
 * likes, or never.
 */
export async function startLoopback(
  handle: (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void,
): Promise<Loopback> {
  const seen: SeenRequest[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const entry: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: [],
      ended: false,
      closedEarly: false,
    };
    seen.push(entry);
    req.on('data', (chunk: Buffer) => entry.body.push(chunk));
    req.on('end', () => {
      entry.ended = true;
    });
    res.on('close', () => {
      if (!res.writableFinished) entry.closedEarly = true;
    });
    for (const wake of waiters.splice(0)) wake();
    handle(req, res, entry);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    async arrived(count) {
      while (seen.length < count) await new Promise<void>((wake) => waiters.push(wake));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Settles with `promise`'s outcome, or with `'still pending'` after `ms`: a test never hangs. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | 'still pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'still pending'>((resolve) => {
    timer = setTimeout(() => resolve('still pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One turn of the real event loop: every pending promise reaction has run. */
export const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/** Turns the event loop until `condition` holds; throws after 5 s so a test never hangs. */
export async function until(condition: () => boolean): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > 5_000) throw new Error('condition still false after 5 s');
    await turn();
  }
}
