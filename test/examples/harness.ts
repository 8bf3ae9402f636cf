import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BankStats } from '../../examples/bank-simulator/bank.mjs';

/**
 * Helpers of the example-service tests. The service runs as a child process
 * from the built package (`dist/`), exactly as a user runs it; the tests talk
 * to it only over HTTP.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Builds `dist/` once when it is missing: the service imports the built package. */
export function ensureBuilt(): void {
  if (!existsSync(`${ROOT}dist/express/index.js`)) {
    execSync('npm run build', { cwd: ROOT, stdio: 'inherit' });
  }
}

/**
 * A transfer id as the example makes it: the operation id, a UUID version 8
 * derived from the client's key (the same in every execution of that key).
 */
export const OPERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What the simulated bank knows of one of its keys (`stats().keys[key]`), with the key. */
export type BankKeyRecord = BankStats['keys'][string] & { key: string };

/**
 * The bank's records whose executed payment carries `transferId`: exactly one
 * when the service sent one payment, under one key, for that transfer.
 */
export function bankRecordsOf(stats: BankStats, transferId: unknown): BankKeyRecord[] {
  return Object.entries(stats.keys)
    .filter(([, record]) => record.transferId === transferId)
    .map(([key, record]) => ({ key, ...record }));
}

/** A unique, key-safe id for this run, so suites never share keys, prefixes or tables. */
export function uniqueId(prefix: string): string {
  return `${prefix}${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** A valid transfer body; `n` varies the amount and the payee. */
export function validTransfer(n = 1): {
  amount: number;
  currency: string;
  from: string;
  to: string;
} {
  return { amount: 1000 + n, currency: 'EUR', from: 'acc-payer', to: `acc-payee-${n}` };
}

/** One `POST /transfers`; every field optional so tests can leave headers out. */
export interface TransferCall {
  tenant?: string;
  jurisdiction?: string;
  key?: string;
  /** JSON-serialised unless `rawBody` is given; a valid transfer when absent. */
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** What came back. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: Record<string, unknown> | undefined;
}

/** Sends one request and reads the whole answer. */
export async function postTransfer(baseUrl: string, call: TransferCall): Promise<Answer> {
  const headers: Record<string, string> = {
    'content-type': call.contentType ?? 'application/json',
    ...call.headers,
  };
  if (call.tenant !== undefined) headers['x-tenant-id'] = call.tenant;
  if (call.jurisdiction !== undefined) headers['x-jurisdiction'] = call.jurisdiction;
  if (call.key !== undefined) headers['idempotency-key'] = call.key;
  const response = await fetch(`${baseUrl}/transfers`, {
    method: 'POST',
    headers,
    body: call.rawBody ?? JSON.stringify('body' in call ? call.body : validTransfer()),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Sends like a careful client: the same request again after 409 (in flight)
 * or 503/504 (try later), until another answer or `giveUpMs`. Waits are
 * short, not the full `Retry-After`, to keep the suite quick; the service's
 * correctness must not depend on clients waiting.
 */
export async function submitUntilFinal(
  baseUrl: string,
  call: TransferCall,
  giveUpMs = 20_000,
): Promise<Answer> {
  const deadline = Date.now() + giveUpMs;
  for (;;) {
    const answer = await postTransfer(baseUrl, call);
    if (![409, 503, 504].includes(answer.status) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
  }
}

/** Resolves when `condition()` is true, polling; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A TCP proxy on loopback in front of a real service (Redis, PostgreSQL), so a
 * test can make that service vanish for one client without touching the
 * shared instance: `cut()` drops every connection and refuses new ones,
 * `restore()` accepts them again on the same port.
 */
export async function startTcpProxy(targetPort: number): Promise<{
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createNetServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
    restore: () => listen(port),
  };
}
