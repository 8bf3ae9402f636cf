/**
 * withIdempotentTransaction holds a pooled client for the whole of `work`. If
 * the backend is terminated while `work` awaits something else, pg emits
 * 'error' on that client; with no listener that is an uncaught exception that
 * exits the process (pg-pool's idle listener is removed at checkout, so
 * `pool.on('error')` does not help). The child below proves the process stays
 * up and the call rejects with a coded error, nothing committed.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/index.js';
import {
  idempotencySchemaSql,
  PostgresStore,
  withIdempotentTransaction,
} from '../../src/postgres/index.js';
import { requireService, services } from '../support/services.js';

const up = await requireService('postgres');
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/terminated-transaction.mjs', import.meta.url));
const suffix = randomBytes(5).toString('hex');
const table = `bulwark_idem_term_${suffix}`;
const business = `bulwark_biz_term_${suffix}`;
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
let dist = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!up) return;
  await pool.query(idempotencySchemaSql(table));
  await pool.query(`CREATE TABLE ${business} (id text PRIMARY KEY, amount integer NOT NULL)`);
  dist = mkdtempSync(join(tmpdir(), 'bulwark-pg-dist-'));
  symlinkSync(join(root, 'node_modules'), join(dist, 'node_modules'), 'dir');
  await build({
    config: false,
    entry: { 'postgres/index': join(root, 'src/postgres/index.ts') },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outDir: dist,
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    external: [/^[^./]/],
  });
}, 120_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (dist !== '') rmSync(dist, { recursive: true, force: true });
  if (up) for (const t of [table, business]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
  await pool.end();
});

interface ChildReport {
  outcome?: {
    code?: string;
    message?: string;
    cause?: string;
    resolved?: unknown;
    poolClients?: number;
  };
  exitCode: number | null;
  stderr: string;
}

/** Waits (bounded) until PostgreSQL no longer lists the backend. */
async function backendGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
    if (rows.length === 0) return;
    await sleep(20);
  }
  throw new Error(`backend ${pid} still listed after 2 s`);
}

/** Runs the fixture; terminates its transaction's backend while `work` waits. */
function runChild(env: Record<string, string>): Promise<ChildReport> {
  const child = fork(fixture, [], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let outcome: ChildReport['outcome'];
  child.on('message', (message: { pid?: number; outcome?: ChildReport['outcome'] }) => {
    if (message.outcome) outcome = message.outcome;
    if (message.pid === undefined) return;
    void (async () => {
      await pool.query('SELECT pg_terminate_backend($1)', [message.pid]);
      await backendGone(message.pid as number);
      await sleep(300); // let the child's socket see the close (and, unfixed, crash)
      if (child.connected) child.send('go');
    })();
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ outcome, exitCode, stderr });
    });
  });
}

describe.skipIf(!up)('withIdempotentTransaction when its connection dies', () => {
  it('the backend terminated mid-work: the process lives, the call rejects with a coded error, nothing commits', async () => {
    const store = new PostgresStore({ pool, table });
    const key = randomBytes(32).toString('hex');
    const ownerToken = randomUUID();
    await store.claim({ key, fingerprint: 'f', ownerToken, leaseMs: 60_000 });

    const report = await runChild({
      BULWARK_DIST: dist,
      DATABASE_URL: services.postgres.url,
      PG_TABLE: table,
      BUSINESS_TABLE: business,
      KEY: key,
      OWNER_TOKEN: ownerToken,
    });

    expect(report.stderr).not.toMatch(/terminating connection|Unhandled|uncaught/i);
    expect(report.exitCode).toBe(0);
    expect(report.outcome).toMatchObject({
      code: 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE',
      cause: '57P01', // admin_shutdown: pg_terminate_backend
      poolClients: 0, // released with the error, so the pool discarded it
    });
    // The key is not completed (still this owner's lease) and the business write rolled back.
    const seen = await store.claim({ key, fingerprint: 'f', ownerToken: 'other', leaseMs: 1_000 });
    expect(seen.outcome).toBe('in_flight');
    const { rows } = await pool.query(`SELECT 1 FROM ${business} WHERE id = $1`, [key]);
    expect(rows).toEqual([]);
  }, 60_000);

  it('the backend terminated during a query inside work: the same coded error, in this process', async () => {
    const store = new PostgresStore({ pool, table });
    const key = randomBytes(32).toString('hex');
    const ownerToken = randomUUID();
    await store.claim({ key, fingerprint: 'f', ownerToken, leaseMs: 60_000 });
    const error = await withIdempotentTransaction(
      store,
      { key, ownerToken, retentionMs: 60_000 },
      async (client) => {
        const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
        const pid = (rows[0] as { pid: number }).pid;
        const slow = client.query('SELECT pg_sleep(10)');
        slow.catch(() => undefined); // awaited below, after the termination
        await sleep(100);
        await pool.query('SELECT pg_terminate_backend($1)', [pid]);
        await slow; // rejects: the backend is gone
        return { response: { status: 201, headers: {}, body: new Uint8Array() }, result: 1 };
      },
    ).catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/connection was lost/);
    const seen = await store.claim({ key, fingerprint: 'f', ownerToken: 'other', leaseMs: 1_000 });
    expect(seen.outcome).toBe('in_flight');
  });
});
