import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** How the server answers one request; the last step repeats once the script runs out. */
export type Step =
  | { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  /** Destroy the socket before writing a response head. */
  | { reset: 'before-head' }
  /** Write the head and part of the body, then destroy the socket. */
  | { reset: 'after-head'; status: number };

/** A real HTTP server on 127.0.0.1 that answers from a script and records what it received. */
export interface ScriptedServer {
  readonly url: string;
  readonly origin: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a loopback server that answers request N with `script[N]` (the last
 * step repeats). Used by the fetch tests to misbehave on purpose and count
 * what arrived: attempts, the key on each, and the body bytes.
 */
export async function startScriptedServer(script: Step[]): Promise<ScriptedServer> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = received.length;
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const step = script[Math.min(index, script.length - 1)];
      if (step !== undefined) answer(step, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/payments`,
    origin,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(step: Step, res: ServerResponse): void {
  if ('reset' in step) {
    if (step.reset === 'before-head') {
      res.socket?.destroy();
      return;
    }
    res.writeHead(step.status, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 5);
    return;
  }
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
    res.end(step.body ?? JSON.stringify({ status: step.status }));
  };
  if (step.delayMs) setTimeout(send, step.delayMs);
  else send();
}
