/**
 * Opens each idempotency store the way a service would, isolated per run:
 * Redis keys under a run-unique prefix (deleted on close), PostgreSQL in a
 * run-unique table (dropped on close). Resolves `{ store, close }`, or
 * `{ skip: reason }` when the store is not exported yet or its service is down.
 */
import { requireExports } from './load.mjs';
import { RUN_ID, SERVICES, serviceDown } from './services.mjs';

/** The names of the stores, in report order. */
export const STORE_NAMES = ['memory', 'redis', 'postgres'];

const redisPrefix = () => `bulwark-bench:${RUN_ID}:`;
const postgresTable = () => `bulwark_bench_${RUN_ID}`;

/**
 * Removes whatever this run left in Redis and PostgreSQL (its own key prefix
 * and table only), for when a process holding a store was killed before closing it.
 */
export async function forgetRun() {
  if (!(await serviceDown('redis'))) {
    const { Redis } = await import('ioredis');
    await closeRedis(new Redis(SERVICES.redis.url), redisPrefix());
  }
  if (!(await serviceDown('postgres'))) {
    const { default: pg } = await import('pg');
    await closePostgres(new pg.Pool({ connectionString: SERVICES.postgres.url }), postgresTable());
  }
}

/** Opens the store `name` (`memory`, `redis` or `postgres`). */
export async function openStore(name) {
  if (name === 'memory') return openMemory();
  if (name === 'redis') return openRedis();
  if (name === 'postgres') return openPostgres();
  throw new Error(`unknown store ${name}`);
}

async function openMemory() {
  const bulwark = await requireExports('', ['MemoryStore']);
  if (!bulwark.ok) return { skip: bulwark.reason };
  // Defaults, as a user gets it: once 10,000 records are kept, each claim evicts one.
  const store = new bulwark.exports.MemoryStore();
  return { store, close: async () => {} };
}

async function openRedis() {
  const bulwark = await requireExports('redis', ['RedisStore']);
  if (!bulwark.ok) return { skip: bulwark.reason };
  const down = await serviceDown('redis');
  if (down) return { skip: down };
  const { Redis } = await import('ioredis');
  const client = new Redis(SERVICES.redis.url, { lazyConnect: true });
  await client.connect();
  const prefix = redisPrefix();
  const store = new bulwark.exports.RedisStore({ client, keyPrefix: prefix });
  return { store, client, prefix, close: () => closeRedis(client, prefix) };
}

/** Deletes this run's keys (and only them), then disconnects. */
async function closeRedis(client, prefix) {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  await client.quit();
}

async function openPostgres() {
  const bulwark = await requireExports('postgres', ['PostgresStore']);
  if (!bulwark.ok) return { skip: bulwark.reason };
  const down = await serviceDown('postgres');
  if (down) return { skip: down };
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: SERVICES.postgres.url, max: 10 });
  const table = postgresTable();
  const store = new bulwark.exports.PostgresStore({ pool, table, createTable: true });
  return { store, pool, table, close: () => closePostgres(pool, table) };
}

/** Drops this run's table (and only it), then ends the pool. */
async function closePostgres(pool, table) {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
}
