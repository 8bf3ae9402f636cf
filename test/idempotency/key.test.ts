import { describe, expect, it } from 'vitest';
import {
  idempotencyStorageKey,
  MAX_CLIENT_KEY_LENGTH,
  parseClientKey,
} from '../../src/idempotency/index.js';

const base = { tenantId: 'acme', method: 'POST', route: '/transfers', clientKey: 'k-1' };

describe('idempotencyStorageKey', () => {
  it('is a hex SHA-256 that never contains the client key', () => {
    const key = idempotencyStorageKey({ ...base, clientKey: 'secret-client-key' });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('secret');
  });

  it('is deterministic and ignores the case of the method', () => {
    expect(idempotencyStorageKey(base)).toBe(idempotencyStorageKey({ ...base, method: 'post' }));
  });

  it('never collides across field boundaries the way a ":"-join would', () => {
    const a = idempotencyStorageKey({ ...base, tenantId: 'a:b', clientKey: 'c' });
    const b = idempotencyStorageKey({ ...base, tenantId: 'a', clientKey: 'b:c' });
    expect(a).not.toBe(b);
    const c = idempotencyStorageKey({ ...base, route: '/x', clientKey: 'y' });
    const d = idempotencyStorageKey({ ...base, route: '/', clientKey: 'xy' });
    expect(c).not.toBe(d);
  });

  it('scopes by tenant, principal, method and route', () => {
    const keys = new Set([
      idempotencyStorageKey(base),
      idempotencyStorageKey({ ...base, tenantId: 'globex' }),
      idempotencyStorageKey({ ...base, tenantId: undefined }),
      idempotencyStorageKey({ ...base, principal: 'user-1' }),
      idempotencyStorageKey({ ...base, principal: 'user-2' }),
      idempotencyStorageKey({ ...base, method: 'PATCH' }),
      idempotencyStorageKey({ ...base, route: '/refunds' }),
    ]);
    expect(keys.size).toBe(7);
  });

  it('tells an absent field from an empty one', () => {
    expect(idempotencyStorageKey({ ...base, principal: '' })).not.toBe(
      idempotencyStorageKey({ ...base, principal: undefined }),
    );
  });
});

describe('parseClientKey', () => {
  it('accepts printable ASCII from 1 to 255 characters', () => {
    expect(parseClientKey(['a'])).toEqual({ ok: true, key: 'a' });
    const longest = 'k'.repeat(MAX_CLIENT_KEY_LENGTH);
    expect(parseClientKey([longest])).toEqual({ ok: true, key: longest });
    expect(parseClientKey(["a:b*{}'%~!"])).toEqual({ ok: true, key: "a:b*{}'%~!" });
  });

  it('reads the structured-field string form as the same key', () => {
    expect(parseClientKey(['"abc"'])).toEqual({ ok: true, key: 'abc' });
  });

  it('reports a missing key apart from a malformed one', () => {
    expect(parseClientKey(undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(parseClientKey([])).toMatchObject({ ok: false, reason: 'missing' });
    expect(parseClientKey(['a', 'b'])).toMatchObject({ ok: false, reason: 'multiple' });
  });

  it.each([
    ['empty', ''],
    ['empty quoted', '""'],
    ['too long', 'k'.repeat(MAX_CLIENT_KEY_LENGTH + 1)],
    ['a space', 'a b'],
    ['a comma', 'a,b'],
    ['a tab', 'a\tb'],
    ['a control character', 'a\u0001b'],
    ['non-ASCII', 'caf\u00e9'],
    ['an inner quote', '"a"b"'],
    ['a backslash', 'a\\b'],
  ])('refuses a key with %s', (_, value) => {
    expect(parseClientKey([value])).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('honours a larger minimum length', () => {
    expect(parseClientKey(['short'], 16)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(parseClientKey(['0123456789abcdef'], 16)).toMatchObject({ ok: true });
  });
});
