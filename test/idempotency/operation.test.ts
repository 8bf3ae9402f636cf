/**
 * The operation identity: the same in every execution of one client key, in
 * any process, and different for another tenant, principal or key; derived
 * downstream keys reveal nothing of the client's key.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine, idempotencyStorageKey } from '../../src/idempotency/index.js';
import {
  getOperation,
  getTenant,
  isBulwarkError,
  MemoryStore,
  type Operation,
  withTenant,
} from '../../src/index.js';
import { type PrivateBuild, privateBuild } from '../support/private-build.js';

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const fixture = fileURLToPath(new URL('./fixtures/operation-id.mjs', import.meta.url));

/** The operation one execution of (tenant, principal, client key) sees, in this process. */
async function operationOf(tenantId: string, principal: string, clientKey: string) {
  const engine = createIdempotencyEngine({ store: new MemoryStore() });
  return withTenant({ tenantId }, async () => {
    const key = idempotencyStorageKey({
      tenantId,
      principal,
      method: 'POST',
      route: '/transfers',
      clientKey,
    });
    let seen: Operation | undefined;
    await engine.execute({ key, fingerprint: 'f' }, async () => {
      seen = getOperation();
      return { response: { status: 201, headers: {}, body: new Uint8Array() }, record: true };
    });
    if (seen === undefined) throw new Error('no operation inside execute');
    return seen;
  });
}

let build: PrivateBuild;
beforeAll(async () => {
  build = await privateBuild({ index: 'index.ts', 'idempotency/index': 'idempotency/index.ts' });
}, 60_000);
afterAll(() => build?.remove());

describe('getOperation()', () => {
  it('is undefined outside an operation, and a UUID inside one', async () => {
    expect(getOperation()).toBeUndefined();
    const operation = await operationOf('acme', 'user-1', 'key-1');
    expect(operation.id).toMatch(UUID_V8);
    expect(getOperation()).toBeUndefined();
  });

  it('gives every execution of one key the same id and derived keys, another key another', async () => {
    const first = await operationOf('acme', 'user-1', 'key-1');
    const again = await operationOf('acme', 'user-1', 'key-1');
    expect(again.id).toBe(first.id);
    expect(again.deriveKey('bank-payment')).toBe(first.deriveKey('bank-payment'));
    expect((await operationOf('acme', 'user-1', 'key-2')).id).not.toBe(first.id);
  });

  it('reads the same id by name, destructured, detached and in a JSON log line', async () => {
    const operation = await operationOf('acme', 'user-1', 'key-1');
    const { id, deriveKey } = operation;
    expect(id).toMatch(UUID_V8);
    expect(operation.id).toBe(id);
    // A log line written with JSON.stringify keeps the id (it is derived on first read).
    expect(JSON.parse(JSON.stringify({ operation }))).toEqual({ operation: { id } });
    expect(deriveKey('bank-payment')).toBe(operation.deriveKey('bank-payment'));
  });

  it('differs across tenants and principals for the same client key', async () => {
    const ids = new Set([
      (await operationOf('acme', 'user-1', 'key-1')).id,
      (await operationOf('globex', 'user-1', 'key-1')).id,
      (await operationOf('acme', 'user-2', 'key-1')).id,
    ]);
    expect(ids.size).toBe(3);
  });

  it('survives a nested withTenant, and keeps the tenant it runs under (one async store carries both)', async () => {
    const engine = createIdempotencyEngine({ store: new MemoryStore() });
    const seen: unknown[] = [];
    await withTenant({ tenantId: 'acme', jurisdiction: 'DE' }, () =>
      engine.execute({ key: 'nested-key', fingerprint: 'f' }, async () => {
        const operation = getOperation();
        seen.push(getTenant()?.tenantId);
        await withTenant({ transactionType: 'payout' }, async () => {
          await Promise.resolve();
          seen.push(getOperation() === operation, getTenant());
        });
        seen.push(getOperation() === operation, getTenant()?.transactionType);
        return { response: { status: 201, headers: {}, body: new Uint8Array() }, record: true };
      }),
    );
    expect(seen).toEqual([
      'acme',
      true,
      { tenantId: 'acme', jurisdiction: 'DE', transactionType: 'payout' },
      true,
      undefined,
    ]);
    expect(getOperation()).toBeUndefined();
  });

  it('is the same in two other processes as in this one', async () => {
    const here = await operationOf('acme', 'user-1', 'key-cross-process');
    const inChild = () =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [fixture, build.dir, 'acme', 'user-1', 'key-cross-process'],
          {
            encoding: 'utf8',
          },
        ),
      ) as { id: string; bankKey: string };
    const [a, b] = [inChild(), inChild()];
    expect(a).toEqual(b);
    expect(a).toEqual({ id: here.id, bankKey: here.deriveKey('bank-payment') });
  });
});

describe('operation.deriveKey(scope)', () => {
  it('is a fixed-length UUID, one per scope, that reveals nothing of the client key', async () => {
    const clientKey = 'client-key-0123456789abcdef';
    const operation = await operationOf('acme', 'user-1', clientKey);
    const payment = operation.deriveKey('bank-payment');
    const fee = operation.deriveKey('bank-fee');
    expect(payment).toMatch(UUID_V8);
    expect(fee).toMatch(UUID_V8);
    expect(payment).not.toBe(fee);
    expect(payment).not.toBe(operation.id);
    for (let i = 0; i + 6 <= clientKey.length; i++) {
      // No 6-character run of the client key (hex-looking parts included) shows through.
      expect(payment.replaceAll('-', '')).not.toContain(clientKey.slice(i, i + 6));
    }
  });

  it('differs across tenants even for ids that would collide', async () => {
    const a = await operationOf('acme', 'user-1', 'k');
    const b = await operationOf('globex', 'user-1', 'k');
    expect(a.deriveKey('bank-payment')).not.toBe(b.deriveKey('bank-payment'));
  });

  it('refuses an empty scope with a coded error', async () => {
    const operation = await operationOf('acme', 'user-1', 'k');
    let error: unknown;
    try {
      operation.deriveKey('');
    } catch (caught) {
      error = caught;
    }
    expect(isBulwarkError(error, 'BULWARK_INVALID_OPTIONS')).toBe(true);
  });
});
