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
  // Large enough that a full benchmark run never fills it with in-flight keys.
  const store = new bulwark.exports.MemoryStore({ maxEntries: 1_000_000 });
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
  const prefix = `bulwark-bench:${RUN_ID}:`;
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
  const table = `bulwark_bench_${RUN_ID}`;
  const store = new bulwark.exports.PostgresStore({ pool, table });
  return { store, pool, table, close: () => closePostgres(pool, table) };
}

/** Drops this run's table (and only it), then ends the pool. */
async function closePostgres(pool, table) {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
}
