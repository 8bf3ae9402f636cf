/**
 * Two app processes sharing one store (Redis, then PostgreSQL) must execute a
 * key exactly once, even under 200 concurrent duplicates and when the process
 * running the handler is SIGKILLed; on Express 5, Express 4 and Fastify 5.
 * The processes run a plain .mjs fixture over a private build of bulwark made
 * once here (never in /work/main/dist).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencySchemaSql } from '../../src/postgres/index.js';
import { majors } from '../express/serve.js';
import { requireService, services } from '../support/services.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/idempotency-server.mjs', import.meta.url));
const suffix = randomUUID().slice(0, 8);
const redisUp = await requireService('redis');
const postgresUp = await requireService('postgres');

let dist = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!redisUp && !postgresUp) return;
  dist = mkdtempSync(join(tmpdir(), 'bulwark-idem-dist-'));
  // The build imports its dependencies by bare name; let them resolve from the repo.
  symlinkSync(join(root, 'node_modules'), join(dist, 'node_modules'), 'dir');
  await build({
    config: false,
    entry: {
      'express/index': join(root, 'src/express/index.ts'),
      'fastify/index': join(root, 'src/fastify/index.ts'),
      'redis/index': join(root, 'src/redis/index.ts'),
      'postgres/index': join(root, 'src/postgres/index.ts'),
    },
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    outDir: dist,
    splitting: true,
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    external: [/^[^./]/],
  });
}, 120_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (dist !== '') rmSync(dist, { recursive: true, force: true });
});

interface AppProcess {
  readonly url: string;
  readonly child: ChildProcess;
}

/** A framework the fixture runs on: the package it imports (`fastify` for the plugin). */
interface Framework {
  readonly name: string;
  readonly packageName: string;
}

const frameworks: readonly Framework[] = [
  ...majors.map(({ name, packageName }) => ({ name, packageName })),
  { name: 'fastify 5', packageName: 'fastify' },
];

/** Starts one fixture process on `framework` and resolves once it listens. */
function startProcess(framework: Framework, env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, [fixture], {
    cwd: root,
    env: {
      ...process.env,
      BULWARK_DIST: dist,
      FRAMEWORK: framework.packageName,
      NODE_ENV: 'test',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}/transfers`, child });
    });
    child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
  });
}

function post(app: AppProcess, key: string, holdMs = 0): Promise<Response> {
  return fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': key,
      'x-hold-ms': String(holdMs),
    },
    body: JSON.stringify({ amount: 4200, currency: 'EUR' }),
  });
}

interface Backend {
  readonly name: string;
  readonly up: boolean;
  /** Environment for a fixture counting into `counter`. */
  env(counter: string, leaseMs: number, storeTimeoutMs: number): Record<string, string>;
  newCounter(): Promise<string>;
  executions(counter: string): Promise<number>;
  setup(): Promise<void>;
  teardown(): Promise<void>;
}

const redisPrefix = `bulwark-test:idem-proc:${suffix}:`;
let redis: Redis | undefined;
const redisBackend: Backend = {
  name: 'Redis',
  up: redisUp,
  env: (counter, leaseMs, storeTimeoutMs) => ({
    STORE: 'redis',
    REDIS_URL: services.redis.url,
    REDIS_PREFIX: `${redisPrefix}record:`,
    COUNTER: counter,
    LEASE_MS: String(leaseMs),
    STORE_TIMEOUT_MS: String(storeTimeoutMs),
  }),
  newCounter: async () => `${redisPrefix}count:${randomUUID()}`,
  executions: async (counter) => Number((await redis?.get(counter)) ?? 0),
  setup: async () => {
    redis = new Redis(services.redis.url);
  },
  teardown: async () => {
    if (!redis) return;
    for await (const keys of redis.scanStream({ match: `${redisPrefix}*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    }
    redis.disconnect();
  },
};

const pgTable = `bulwark_idem_proc_${suffix}`;
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 2 });
const counterTables: string[] = [];
const postgresBackend: Backend = {
  name: 'PostgreSQL',
  up: postgresUp,
  env: (counter, leaseMs, storeTimeoutMs) => ({
    STORE: 'postgres',
    DATABASE_URL: services.postgres.url,
    PG_TABLE: pgTable,
    COUNTER: counter,
    LEASE_MS: String(leaseMs),
    STORE_TIMEOUT_MS: String(storeTimeoutMs),
  }),
  newCounter: async () => {
    const table = `bulwark_idem_proc_count_${suffix}_${counterTables.length}`;
    await pool.query(`CREATE TABLE ${table} (n integer NOT NULL)`);
    await pool.query(`INSERT INTO ${table} (n) VALUES (0)`);
    counterTables.push(table);
    return table;
  },
  executions: async (counter) => (await pool.query(`SELECT n FROM ${counter}`)).rows[0].n,
  setup: async () => {
    await pool.query(idempotencySchemaSql(pgTable));
  },
  teardown: async () => {
    if (postgresUp) {
      for (const table of [...counterTables, pgTable])
        await pool.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await pool.end();
  },
};

for (const backend of [redisBackend, postgresBackend]) {
  describe.skipIf(!backend.up)(`idempotency in two processes sharing ${backend.name}`, () => {
    beforeAll(backend.setup);
    afterAll(backend.teardown);

    describe.each(frameworks)('on $name', (framework) => {
      const startApp = (env: Record<string, string>) => startProcess(framework, env);

      it('200 concurrent duplicates across both processes: exactly one execution', async () => {
        const counter = await backend.newCounter();
        const env = backend.env(counter, 30_000, 10_000);
        const [a, b] = await Promise.all([startApp(env), startApp(env)]);
        const key = randomUUID();
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) => post(i % 2 === 0 ? a : b, key, 300)),
        );
        const statuses = responses.map((r) => r.status);
        expect(await backend.executions(counter)).toBe(1);
        expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
        const fresh = responses.filter(
          (r) => r.status === 201 && !r.headers.has('idempotent-replayed'),
        );
        expect(fresh).toHaveLength(1);
        expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
        // Both processes replay the one result once it is recorded.
        for (const app of [a, b]) {
          const replay = await post(app, key);
          expect(replay.headers.get('idempotent-replayed')).toBe('true');
          expect(await replay.json()).toMatchObject({ execution: 1 });
        }
        expect(await backend.executions(counter)).toBe(1);
      }, 120_000);

      it('a handler running for three leases keeps its key: renewal through the shared store', async () => {
        const counter = await backend.newCounter();
        const env = backend.env(counter, 2_000, 1_500);
        const [slow, other] = await Promise.all([startApp(env), startApp(env)]);
        const key = randomUUID();
        const original = post(slow, key, 6_000);
        await expect.poll(() => backend.executions(counter), { timeout: 20_000 }).toBe(1);
        const seen = new Set<number>();
        let settled = false;
        void original.finally(() => {
          settled = true;
        });
        while (!settled) {
          const duplicate = await post(other, key);
          seen.add(duplicate.status);
          if (duplicate.status === 201)
            expect(duplicate.headers.get('idempotent-replayed')).toBe('true');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        expect((await original).status).toBe(201);
        expect(seen.has(409)).toBe(true);
        expect(await backend.executions(counter)).toBe(1);
      }, 120_000);

      it('a process SIGKILLed mid-request: 409 within the lease, exactly one execution after it', async () => {
        const counter = await backend.newCounter();
        const leaseMs = 4_000;
        const env = backend.env(counter, leaseMs, 1_500);
        const [victim, survivor] = await Promise.all([startApp(env), startApp(env)]);
        const key = randomUUID();
        const lost = post(victim, key, 60_000).catch((error: unknown) => error);
        await expect.poll(() => backend.executions(counter), { timeout: 20_000 }).toBe(1);
        victim.child.kill('SIGKILL');
        expect(await lost).toBeInstanceOf(Error);

        const during = await post(survivor, key);
        expect(during.status).toBe(409);
        expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

        // After the lease lapses, one retry runs the operation again, and only one.
        let after: Response | undefined;
        await expect
          .poll(
            async () => {
              after = await post(survivor, key);
              return after.status;
            },
            { timeout: 30_000, interval: 250 },
          )
          .toBe(201);
        expect(after?.headers.get('idempotent-replayed')).toBeNull();
        const retries = await Promise.all(Array.from({ length: 10 }, () => post(survivor, key)));
        expect(retries.every((r) => r.headers.get('idempotent-replayed') === 'true')).toBe(true);
        expect(await backend.executions(counter)).toBe(2);
      }, 120_000);
    });
  });
}
