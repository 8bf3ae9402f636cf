/**
 * Opens the idempotency store named by IDEMPOTENCY_STORE. The Redis and
 * PostgreSQL clients are imported only when chosen, so the memory store needs
 * neither installed.
 */
import { MemoryStore } from 'bulwark';

/**
 * @typedef {object} OpenStore
 * @property {import('bulwark').IdempotencyStore} store the store
 * @property {() => Promise<void>} close releases the store's connections
 */

/**
 * @param {import('./config.mjs').Config} config
 * @returns {Promise<OpenStore>}
 */
export async function openStore(config) {
  if (config.store === 'redis') return openRedis(config);
  if (config.store === 'postgres') return openPostgres(config);
  return { store: new MemoryStore(), close: async () => {} };
}

/** @param {import('./config.mjs').Config} config */
async function openRedis(config) {
  const [{ Redis }, { RedisStore }] = await Promise.all([
    import('ioredis'),
    import('bulwark/redis'),
  ]);
  // Fail fast instead of queueing while Redis is down: the store answers 503.
  const client = new Redis(/** @type {string} */ (config.redisUrl), {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: 2000,
    lazyConnect: true,
  });
  // ioredis reconnects by itself; meanwhile claims fail and requests get 503.
  client.on('error', () => {});
  await client.connect();
  const prefix = config.idempotencyPrefix ? `${config.idempotencyPrefix}:` : '';
  const keyPrefix = `payments:idempotency:${prefix}`;
  const store = new RedisStore({ client, keyPrefix });
  return {
    store,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** @param {import('./config.mjs').Config} config */
async function openPostgres(config) {
  const [{ default: pg }, { PostgresStore }] = await Promise.all([
    import('pg'),
    import('bulwark/postgres'),
  ]);
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: 10,
    // Fail fast when the database is unreachable: the store then answers 503.
    connectionTimeoutMillis: 2000,
  });
  // An error on an idle client must not crash the process; the next query
  // fails and that request gets 503.
  pool.on('error', () => {});
  const suffix = config.idempotencyPrefix ? `_${config.idempotencyPrefix}` : '';
  const store = new PostgresStore({
    pool,
    table: `payments_idempotency${suffix}`,
    createTable: true,
  });
  // Create the table now, so a wrong DATABASE_URL fails the start, not a payment.
  await store.migrate();
  return { store, close: () => pool.end() };
}
