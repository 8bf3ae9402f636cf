import { connect, type Socket } from 'node:net';

/** One HTTP/1.1 response as parsed off the wire. */
export interface WireResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * A raw keep-alive connection that sees every byte the server writes, to prove
 * what a response framing bug would hide from `fetch`: a second response, or
 * bytes beyond the declared length, on the same connection.
 */
export interface WireConnection {
  /** Writes raw request bytes. */
  send(bytes: string): void;
  /** The next complete response, or a rejection after `timeoutMs` (with what arrived). */
  nextResponse(timeoutMs?: number): Promise<WireResponse>;
  /** Waits `quietMs` and returns every byte received beyond the responses already read. */
  leftover(quietMs: number): Promise<Buffer>;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
  close(): void;
}

/** Opens a raw connection to 127.0.0.1:`port`. */
export function wire(port: number): Promise<WireConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => resolve(new Connection(socket)));
  });
}

class Connection implements WireConnection {
  #buffer = Buffer.alloc(0);
  #closed = false;
  #wake: () => void = () => {};

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
    socket.on('error', () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: string): void {
    this.socket.write(Buffer.from(bytes, 'latin1'));
  }

  async nextResponse(timeoutMs = 5_000): Promise<WireResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.#buffer);
      if (parsed !== undefined) {
        this.#buffer = this.#buffer.subarray(parsed.length);
        return parsed.response;
      }
      const left = deadline - Date.now();
      if (this.#closed || left <= 0) {
        const seen = this.#buffer.toString('latin1');
        throw new Error(`no complete response (closed: ${this.#closed}); received: ${seen}`);
      }
      await this.#waitForData(left);
    }
  }

  async leftover(quietMs: number): Promise<Buffer> {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    return this.#buffer;
  }

  close(): void {
    this.socket.destroy();
  }

  #waitForData(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Parses one response at the start of `bytes`, framed by Content-Length or chunked encoding. */
function parseResponse(bytes: Buffer): { response: WireResponse; length: number } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status))
    throw new Error(`not a status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + 4;
  if (headers['transfer-encoding'] === 'chunked')
    return parseChunked(bytes, start, status, headers);
  const length = Number(headers['content-length'] ?? 0);
  if (bytes.length < start + length) return undefined;
  const body = bytes.subarray(start, start + length);
  return { response: { status, headers, body }, length: start + length };
}

function parseChunked(
  bytes: Buffer,
  start: number,
  status: number,
  headers: Record<string, string>,
): { response: WireResponse; length: number } | undefined {
  const chunks: Buffer[] = [];
  let offset = start;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size)) throw new Error('malformed chunk size');
    const dataStart = lineEnd + 2;
    if (bytes.length < dataStart + size + 2) return undefined;
    if (size === 0) {
      return { response: { status, headers, body: Buffer.concat(chunks) }, length: dataStart + 2 };
    }
    chunks.push(bytes.subarray(dataStart, dataStart + size));
    offset = dataStart + size + 2;
  }
}
