import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemAnswer, problemType, writeAnswer } from '../http/problem.js';

/** How long a client may leave its stream unread before it is dropped, in updates. */
const MAX_BLOCKED_UPDATES = 30;
/** What EventSource waits before reconnecting, in ms. */
const RECONNECT_MS = 2_000;

interface Client {
  readonly res: ServerResponse;
  readonly connection: object;
  blockedUpdates: number;
}

/**
 * The live update streams (server-sent events) of one status handler. One
 * timer serves every client: each update builds the report once, serialises
 * it once and writes the same bytes to all; with no client, no timer runs.
 * Bounded: at most `maxStreams` streams, never two on one connection (HTTP/1.1
 * pipelining or HTTP/2 streams could otherwise stack them), and a client that
 * stops reading is skipped, then dropped: its buffer never grows past one update.
 */
export class LiveStreams {
  private readonly clients = new Set<Client>();
  private readonly connections = new WeakSet<object>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxStreams: number,
    private readonly intervalMs: number,
    private readonly render: () => string,
  ) {}

  /** Answers one `.../events` request: a stream, or a problem saying why not. */
  open(req: IncomingMessage, res: ServerResponse): void {
    const connection = connectionOf(req);
    if (this.connections.has(connection)) {
      const title = 'This connection already has a live status stream';
      writeAnswer(
        res,
        problemAnswer({ type: problemType('status-stream-open'), title, status: 429 }),
      );
      return;
    }
    if (this.clients.size >= this.maxStreams) {
      const title = 'Too many live status streams are open';
      const problem = { type: problemType('status-streams-full'), title, status: 503 };
      writeAnswer(res, problemAnswer(problem, { retryAfterMs: RECONNECT_MS * 5 }));
      return;
    }
    // Built before the headers: a report that cannot be built is a 500, not a broken stream.
    const first = message(this.render());
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Tells a buffering proxy (nginx) to pass each update on at once.
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const client: Client = { res, connection, blockedUpdates: 0 };
    this.clients.add(client);
    this.connections.add(connection);
    res.once('close', () => this.drop(client));
    // A write racing the end of the stream must never surface as an unhandled 'error'.
    res.on('error', () => this.drop(client));
    this.write(client, `retry: ${RECONNECT_MS}\n${first}`);
    this.timer ??= setInterval(() => this.update(), this.intervalMs);
    this.timer.unref();
  }

  /** Live streams now. */
  get size(): number {
    return this.clients.size;
  }

  /** Ends every stream (their pages say the stream is lost, and reconnect). */
  closeAll(): void {
    for (const client of [...this.clients]) client.res.end();
  }

  private update(): void {
    let bytes: string;
    try {
      bytes = message(this.render());
    } catch {
      return; // skipped: the pages say the stream went stale; a timer must never throw
    }
    for (const client of this.clients) this.write(client, bytes);
  }

  private write(client: Client, bytes: string): void {
    if (client.res.writableEnded || client.res.destroyed) return;
    if (client.res.writableNeedDrain) {
      if (++client.blockedUpdates > MAX_BLOCKED_UPDATES) client.res.destroy();
      return;
    }
    client.blockedUpdates = 0;
    client.res.write(bytes);
  }

  private drop(client: Client): void {
    this.clients.delete(client);
    this.connections.delete(client.connection);
    if (this.clients.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** One SSE message; the JSON holds no raw newline, so one `data:` line carries it. */
function message(json: string): string {
  return `event: status\ndata: ${json}\n\n`;
}

/** The transport connection: the HTTP/2 session for an HTTP/2 stream, else the socket. */
function connectionOf(req: IncomingMessage): object {
  const session = (req as { stream?: { session?: object } }).stream?.session;
  return session ?? req.socket;
}
