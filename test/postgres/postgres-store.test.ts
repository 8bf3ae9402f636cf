import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/index.js';
import {
  idempotencySchemaSql,
  PostgresStore,
  withIdempotentTransaction,
} from '../../src/postgres/index.js';
import { describeStoreContract, sampleResponse } from '../idempotency/store-contract.js';
import { requireService, services } from '../support/services.js';

const up = await requireService('postgres');
const suffix = randomBytes(5).toString('hex');
const table = `bulwark_idem_test_${suffix}`;
const lazyTable = `bulwark_idem_lazy_${suffix}`;
const business = `bulwark_biz_test_${suffix}`;
const pool = new pg.Pool({ connectionString: services.postgres.url, max: 10 });
const LONG = 60_000;

beforeAll(async () => {
  if (!up) return;
  await new PostgresStore({ pool, table }).migrate();
  await pool.query(`CREATE TABLE ${business} (id text PRIMARY KEY, amount integer NOT NULL)`);
});

afterAll(async () => {
  if (up) {
    for (const t of [table, lazyTable, business]) await pool.query(`DROP TABLE IF EXISTS ${t}`);
  }
  await pool.end();
});

describeStoreContract(
  'PostgresStore',
  () => ({ store: new PostgresStore({ pool, table }), advance: (ms) => sleep(ms) }),
  { skip: !up },
);

const newKey = () => randomBytes(32).toString('hex');

describe.skipIf(!up)('PostgresStore specifics', () => {
  it('the migration creates a LOGGED table with an expiry index', async () => {
    const { rows } = await pool.query(
      `SELECT relpersistence FROM pg_class WHERE relname = $1 AND relkind = 'r'`,
      [table],
    );
    expect(rows).toEqual([{ relpersistence: 'p' }]);
    expect(idempotencySchemaSql(table)).toContain(
      `CREATE INDEX IF NOT EXISTS "${table}_expires_at_idx"`,
    );
  });

  it('createTable: true creates the table on first use, even from racing stores', async () => {
    const stores = Array.from(
      { length: 5 },
      () => new PostgresStore({ pool, table: lazyTable, createTable: true }),
    );
    const results = await Promise.all(
      stores.map((s) =>
        s.claim({ key: newKey(), fingerprint: 'f', ownerToken: randomUUID(), leaseMs: LONG }),
      ),
    );
    expect(results.every((r) => r.outcome === 'claimed')).toBe(true);
  });

  it('without createTable, a missing table is a STORE_UNAVAILABLE error naming the cause', async () => {
    const store = new PostgresStore({ pool, table: `bulwark_missing_${suffix}` });
    const error = await store
      .claim({ key: newKey(), fingerprint: 'f', ownerToken: 't', leaseMs: LONG })
      .catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/does not exist/);
  });

  it('cleanup deletes only expired rows, at most `limit` per call', async () => {
    const store = new PostgresStore({ pool, table });
    await pool.query(`DELETE FROM ${table} WHERE expires_at <= now()`);
    const live = [newKey(), newKey()];
    await store.claim({ key: live[0]!, fingerprint: 'f', ownerToken: 'a', leaseMs: LONG });
    await store.claim({ key: live[1]!, fingerprint: 'f', ownerToken: 'b', leaseMs: LONG });
    await store.complete({
      key: live[1]!,
      ownerToken: 'b',
      response: sampleResponse(),
      retentionMs: LONG,
    });
    const expired = [newKey(), newKey(), newKey()];
    for (const key of expired) {
      await store.claim({ key, fingerprint: 'f', ownerToken: 'x', leaseMs: 100 });
    }
    await store.complete({
      key: expired[2]!,
      ownerToken: 'x',
      response: sampleResponse(),
      retentionMs: 100,
    });
    await sleep(400);
    await expect(store.cleanup({ limit: 2 })).resolves.toBe(2);
    await expect(store.cleanup()).resolves.toBe(1);
    await expect(store.cleanup()).resolves.toBe(0);
    const { rows } = await pool.query(`SELECT key FROM ${table} WHERE key = ANY($1)`, [
      [...live, ...expired],
    ]);
    expect(rows.map((r: { key: string }) => r.key).sort()).toEqual([...live].sort());
    await expect(store.cleanup({ limit: 0 })).rejects.toThrow(/limit/);
  });

  it('validates its options at construction', () => {
    expect(() => new PostgresStore({ pool, table: 'x; DROP TABLE y' })).toThrow(/option "table"/);
    expect(() => new PostgresStore({ pool: {} as never })).toThrow(/option "pool"/);
    expect(() => new PostgresStore({ pool, createTable: 'yes' as never })).toThrow(/createTable/);
  });

  it('an unreachable database rejects with STORE_UNAVAILABLE, in bounded time', async () => {
    const dead = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2_000 });
    try {
      const store = new PostgresStore({ pool: dead, table });
      const error = await store
        .claim({ key: newKey(), fingerprint: 'f', ownerToken: 't', leaseMs: LONG })
        .catch((e: unknown) => e);
      expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_STORE_UNAVAILABLE')).toBe(true);
    } finally {
      await dead.end();
    }
  });
});

async function businessRow(id: string) {
  const { rows } = await pool.query(`SELECT amount FROM ${business} WHERE id = $1`, [id]);
  return rows[0] as { amount: number } | undefined;
}

describe.skipIf(!up)('withIdempotentTransaction', () => {
  const store = new PostgresStore({ pool, table });

  async function claimed(leaseMs = LONG) {
    const key = newKey();
    const ownerToken = randomUUID();
    await store.claim({ key, fingerprint: 'f', ownerToken, leaseMs });
    return { key, ownerToken, retentionMs: LONG };
  }

  it('commits the business write and the completed record together', async () => {
    const request = await claimed();
    const id = randomUUID();
    const result = await withIdempotentTransaction(store, request, async (tx) => {
      await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, 100)`, [id]);
      return { response: sampleResponse(), result: id };
    });
    expect(result).toBe(id);
    expect(await businessRow(id)).toEqual({ amount: 100 });
    const replay = await store.claim({
      key: request.key,
      fingerprint: 'f',
      ownerToken: 'n',
      leaseMs: LONG,
    });
    expect(replay.outcome).toBe('completed');
  });

  it('work throws: neither the business write nor the completion commits', async () => {
    const request = await claimed();
    const id = randomUUID();
    const error = await withIdempotentTransaction(store, request, async (tx) => {
      await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, 100)`, [id]);
      throw new Error('declined');
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('declined');
    expect(await businessRow(id)).toBeUndefined();
    const seen = await store.claim({
      key: request.key,
      fingerprint: 'f',
      ownerToken: 'n',
      leaseMs: LONG,
    });
    expect(seen.outcome).toBe('in_flight');
    await expect(store.release(request.key, request.ownerToken)).resolves.toBe(true);
  });

  it('lease taken over during the work: the fence fails and the business write rolls back', async () => {
    const request = await claimed(300);
    const id = randomUUID();
    const thief = randomUUID();
    const error = await withIdempotentTransaction(store, request, async (tx) => {
      await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, 100)`, [id]);
      await sleep(700);
      const takeover = await store.claim({
        key: request.key,
        fingerprint: 'f',
        ownerToken: thief,
        leaseMs: LONG,
      });
      expect(takeover.outcome).toBe('claimed');
      return { response: sampleResponse(), result: id };
    }).catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_LEASE_LOST')).toBe(true);
    expect(await businessRow(id)).toBeUndefined();
    // The new owner's record is untouched and still completable.
    await expect(
      store.complete({
        key: request.key,
        ownerToken: thief,
        response: sampleResponse(),
        retentionMs: LONG,
      }),
    ).resolves.toBe(true);
  });

  it('a lease already lost never runs the work', async () => {
    const request = await claimed();
    await store.release(request.key, request.ownerToken);
    let ran = false;
    const error = await withIdempotentTransaction(store, request, async () => {
      ran = true;
      return { response: sampleResponse(), result: undefined };
    }).catch((e: unknown) => e);
    expect(isBulwarkError(error, 'BULWARK_IDEMPOTENCY_LEASE_LOST')).toBe(true);
    expect(ran).toBe(false);
  });

  it('a takeover attempt during the commit waits and then sees the completed record', async () => {
    const request = await claimed(300);
    const id = randomUUID();
    let contender: Promise<unknown> | undefined;
    await withIdempotentTransaction(store, request, async (tx) => {
      await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, 7)`, [id]);
      // Lock the row the way the fenced UPDATE will, then let the lease lapse and race a claim.
      await tx.query(`SELECT 1 FROM ${table} WHERE key = $1 FOR UPDATE`, [request.key]);
      await sleep(700);
      contender = store.claim({
        key: request.key,
        fingerprint: 'f',
        ownerToken: 'late',
        leaseMs: LONG,
      });
      await sleep(200);
      return { response: sampleResponse(), result: id };
    });
    const outcome = (await contender) as { outcome: string };
    expect(outcome.outcome).toBe('completed');
    expect(await businessRow(id)).toEqual({ amount: 7 });
  });

  it('onCommitted hears the committed response once, after COMMIT, and never after a rollback', async () => {
    const heard: string[] = [];
    const visible: Promise<string>[] = [];
    const listen = (key: string) => (response: { status: number }) => {
      heard.push(`${key}:${response.status}`);
      // Runs after COMMIT: another connection already sees the completed record.
      visible.push(
        store
          .claim({ key, fingerprint: 'f', ownerToken: 'other', leaseMs: LONG })
          .then((seen) => seen.outcome),
      );
    };
    const ok = await claimed();
    await withIdempotentTransaction(store, { ...ok, onCommitted: listen(ok.key) }, async () => ({
      response: sampleResponse(),
      result: undefined,
    }));
    const failed = await claimed();
    const rolledBack = { ...failed, onCommitted: listen(failed.key) };
    await withIdempotentTransaction(store, rolledBack, async () => {
      throw new Error('declined');
    }).catch(() => undefined);
    expect(heard).toEqual([`${ok.key}:${sampleResponse().status}`]);
    expect(await Promise.all(visible)).toEqual(['completed']);
  });

  it('a throwing onCommitted cannot undo the commit', async () => {
    const request = await claimed();
    const id = randomUUID();
    const onCommitted = () => {
      throw new Error('listener bug');
    };
    const result = await withIdempotentTransaction(
      store,
      { ...request, onCommitted },
      async (tx) => {
        await tx.query(`INSERT INTO ${business} (id, amount) VALUES ($1, 3)`, [id]);
        return { response: sampleResponse(), result: id };
      },
    );
    expect(result).toBe(id);
    expect(await businessRow(id)).toEqual({ amount: 3 });
  });
});
