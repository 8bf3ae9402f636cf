/**
 * Opens the idempotency store named by IDEMPOTENCY_STORE. The Redis and
 * PostgreSQL clients are imported only when chosen, so the memory store needs
 * neither installed.
 */
import { MemoryStore } from 'bulwark';

/**
 * @typedef {object} OpenStore
 * @property {import('bulwark').MemoryStore} store the store (any IdempotencyStore)
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
    lazyConnect: true,
  });
  await client.connect();
  const prefix = config.idempotencyPrefix ? `${config.idempotencyPrefix}:` : undefined;
  const store = new RedisStore({ client, ...(prefix ? { keyPrefix: prefix } : {}) });
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
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
  const table = config.idempotencyPrefix ? `idempotency_${config.idempotencyPrefix}` : undefined;
  const store = new PostgresStore({ pool, ...(table ? { table } : {}) });
  return { store, close: () => pool.end() };
}
