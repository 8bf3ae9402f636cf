/**
 * Scenario 3: idempotency claim + complete per second, one group per store.
 * Every operation uses a fresh key. The baseline is the least a hand-rolled
 * store would do for the same two steps, with none of bulwark's guarantees
 * (owner-token fencing, store-clock expiry): two Map writes, two Redis SETs,
 * or an INSERT ... ON CONFLICT and an UPDATE on an equivalent table.
 */
import { compareTime, scenario } from '../harness.mjs';
import { RUN_ID } from '../services.mjs';
import { openStore, STORE_NAMES } from '../stores.mjs';

const LEASE_MS = 30_000;
/** Short, so nothing a benchmark writes lingers in the shared services. */
const RETENTION_MS = 120_000;
const FINGERPRINT = 'f'.repeat(64);
const RESPONSE = {
  status: 201,
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode('{"id":"tr_1","status":"accepted","amount":1250}'),
};

let sequence = 0;
/** A fresh 64-hex-character key, shaped like the engine's hashed keys. */
function nextKey() {
  return (RUN_ID.replace(/\W/g, '') + (sequence++).toString(16)).padStart(64, '0').slice(-64);
}

function bulwarkCase(store) {
  return async function claimAndComplete() {
    const key = nextKey();
    const ownerToken = `owner-${sequence}`;
    await store.claim({ key, fingerprint: FINGERPRINT, ownerToken, leaseMs: LEASE_MS });
    await store.complete({ key, ownerToken, response: RESPONSE, retentionMs: RETENTION_MS });
  };
}

/** The hand-rolled baseline of each store. */
const BASELINES = {
  memory: () => {
    const map = new Map();
    return async () => {
      const key = nextKey();
      map.set(key, { state: 'in_flight', fingerprint: FINGERPRINT });
      map.set(key, { state: 'completed', fingerprint: FINGERPRINT, response: RESPONSE });
      // Bounded like MemoryStore's default; clear() because deleting the oldest key one at
      // a time makes V8's Map iteration walk every deleted slot.
      if (map.size >= 10_000) map.clear();
    };
  },
  redis: ({ client, prefix }) => {
    return async () => {
      const key = `${prefix}raw:${nextKey()}`;
      await client.set(key, FINGERPRINT, 'PX', LEASE_MS, 'NX');
      await client.set(key, Buffer.from(RESPONSE.body), 'PX', RETENTION_MS);
    };
  },
  postgres: async ({ pool }) => {
    const table = `bulwark_bench_raw_${RUN_ID}`;
    await pool.query(
      `CREATE TABLE ${table} (key text PRIMARY KEY, fingerprint text NOT NULL, state text NOT NULL, body bytea, expires_at timestamptz NOT NULL)`,
    );
    const baseline = async () => {
      const key = nextKey();
      await pool.query(
        `INSERT INTO ${table} (key, fingerprint, state, expires_at) VALUES ($1, $2, 'in_flight', now() + interval '30 seconds') ON CONFLICT DO NOTHING`,
        [key, FINGERPRINT],
      );
      await pool.query(
        `UPDATE ${table} SET state = 'completed', body = $2, expires_at = now() + interval '2 minutes' WHERE key = $1`,
        [key, Buffer.from(RESPONSE.body)],
      );
    };
    baseline.close = () => pool.query(`DROP TABLE IF EXISTS ${table}`);
    return baseline;
  },
};

/**
 * MemoryStore below its `maxEntries`, where no claim has to evict: a store
 * big enough for the run, replaced before it fills up.
 */
function notFullMemoryCase(MemoryStore) {
  const maxEntries = 1_000_000;
  // maxBytes too: a million small records need about 1 GiB of accounting room.
  const maxBytes = 2 ** 31;
  let store = new MemoryStore({ maxEntries, maxBytes });
  let used = 0;
  return async () => {
    if (++used >= maxEntries) {
      store = new MemoryStore({ maxEntries, maxBytes });
      used = 1;
    }
    await bulwarkCase(store)();
  };
}

/** Extra cases per store, beyond the baseline and the store as a user configures it. */
function extraCases(name, opened) {
  if (name !== 'memory') return [];
  return [
    {
      id: 'bulwark-not-full',
      label: 'bulwark MemoryStore below maxEntries (no eviction)',
      fn: notFullMemoryCase(opened.store.constructor),
    },
  ];
}

const LABELS = { memory: 'MemoryStore', redis: 'RedisStore', postgres: 'PostgresStore' };

async function storeGroup(name) {
  const opened = await openStore(name);
  const id = `idempotency-${name}`;
  const title = `claim + complete, ${LABELS[name]}, one fresh key per operation`;
  if (opened.skip) {
    const skipped = [{ id: 'bulwark', label: `bulwark ${LABELS[name]}`, reason: opened.skip }];
    process.stderr.write(`  skip ${id}: ${opened.skip}\n`);
    return { id, title, unit: 'ns/op', better: 'lower', rows: [], skipped, reason: opened.skip };
  }
  const baseline = await BASELINES[name](opened);
  try {
    return await compareTime({
      id,
      title,
      cases: [
        { id: 'raw', label: `hand-rolled ${name} claim + complete`, fn: baseline },
        {
          id: 'bulwark',
          label: `bulwark ${LABELS[name]}${name === 'memory' ? ' defaults, full (evicting)' : ''}`,
          fn: bulwarkCase(opened.store),
        },
        ...extraCases(name, opened),
      ],
    });
  } finally {
    await baseline.close?.();
    await opened.close();
  }
}

await scenario(
  {
    id: 'idempotency-stores',
    title: 'Idempotency stores: claim + complete',
    description:
      "One `claim` + `complete` per operation, each on a fresh key, against the real local Redis and PostgreSQL (isolated key prefix / table, removed afterwards). The baseline is the least a hand-rolled store would do for the same two steps, without bulwark's owner-token fencing or store-clock expiry.",
  },
  async () => {
    const groups = [];
    for (const name of STORE_NAMES) groups.push(await storeGroup(name));
    return { groups };
  },
);
