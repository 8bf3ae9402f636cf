import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import express5, { type Express } from 'express';
import express4 from 'express4';

/** The `express` module of one major version (typed with the Express 5 types). */
export type ExpressModule = typeof express5;

/** One Express major the suites run on. */
export interface ExpressMajor {
  readonly name: string;
  readonly express: ExpressModule;
  /** The package to import it by, for app processes (`express`, or `express4` for Express 4). */
  readonly packageName: string;
  /** Whether a rejected promise from a handler reaches the error handlers (Express 5 only). */
  readonly catchesRejections: boolean;
}

/** Every Express major bulwark supports: each suite that starts an app runs on all of them. */
export const majors: readonly ExpressMajor[] = [
  { name: 'express 5', express: express5, packageName: 'express', catchesRejections: true },
  { name: 'express 4', express: express4, packageName: 'express4', catchesRejections: false },
];

/** A running test server on a loopback port. */
export interface Served {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts `app` on 127.0.0.1, port 0. */
export function serve(app: Express): Promise<Served> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.on('error', reject);
  });
}

/**
 * Sends `head` (request line and headers, without the final blank line) as raw
 * bytes, for requests `fetch` refuses to send (CR/LF in values, repeated headers,
 * bytes beyond ASCII). Resolves with the status code and the raw response.
 */
export function rawRequest(
  port: number,
  head: string | Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, text });
    });
    const bytes = typeof head === 'string' ? Buffer.from(head, 'latin1') : head;
    socket.end(Buffer.concat([bytes, Buffer.from('Connection: close\r\n\r\n')]));
  });
}
