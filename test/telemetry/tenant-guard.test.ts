import { describe, expect, it } from 'vitest';
import { isBulwarkError } from '../../src/index.js';
import { createTenantGuard } from '../../src/otel/index.js';
import { TENANT_GUARD_DEFAULTS } from '../../src/telemetry/tenant-guard.js';

describe('createTenantGuard', () => {
  it('keeps the first maxTenants distinct tenants and folds every later one into "other"', () => {
    const guard = createTenantGuard({ maxTenants: 2 });
    expect(guard('a')).toBe('a');
    expect(guard('b')).toBe('b');
    expect(guard('c')).toBe('other');
    // A tenant that kept its label keeps it: its series never moves.
    expect(guard('a')).toBe('a');
    expect(guard('b')).toBe('b');
    expect(guard('c')).toBe('other');
  });

  it('bounds the labels to maxTenants + 1 however many tenants it sees, losing no measurement', () => {
    const guard = createTenantGuard();
    const labels = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const label = guard(`tenant-${i % 1000}`) ?? 'none';
      labels.set(label, (labels.get(label) ?? 0) + 1);
    }
    expect(TENANT_GUARD_DEFAULTS.maxTenants).toBe(100);
    expect(labels.size).toBe(101);
    expect(labels.get('other')).toBe(9000);
    expect([...labels.values()].reduce((a, b) => a + b)).toBe(10_000);
  });

  it('passes "no tenant" through as undefined', () => {
    expect(createTenantGuard()(undefined)).toBeUndefined();
  });

  it('always keeps the alwaysKeep tenants, which count towards maxTenants', () => {
    const guard = createTenantGuard({ maxTenants: 2, alwaysKeep: ['vip'] });
    expect(guard('first')).toBe('first');
    expect(guard('second')).toBe('other');
    expect(guard('vip')).toBe('vip');
  });

  it('with maxTenants 0 records every tenant as "other"', () => {
    expect(createTenantGuard({ maxTenants: 0 })('a')).toBe('other');
  });

  it('with admit false, looks a tenant up without letting it take a free slot', () => {
    const guard = createTenantGuard({ maxTenants: 1 });
    expect(guard('refused', false)).toBe('other');
    expect(guard('served')).toBe('served');
    expect(guard('served', false)).toBe('served');
    expect(guard('refused')).toBe('other');
  });

  it('gives each metric its own slots', () => {
    const busy = createTenantGuard({ maxTenants: 1 });
    const quiet = createTenantGuard({ maxTenants: 1 });
    busy('a');
    expect(quiet('b')).toBe('b');
  });

  it.each([
    [{ maxTenants: -1 }, /maxTenants/],
    [{ maxTenants: 1.5 }, /maxTenants/],
    [{ maxTenants: '3' as unknown as number }, /maxTenants/],
    [{ maxTenants: 1, alwaysKeep: ['a', 'b'] }, /alwaysKeep/],
  ])('rejects %o with BULWARK_INVALID_OPTIONS', (options, field) => {
    let caught: unknown;
    try {
      createTenantGuard(options);
    } catch (error) {
      caught = error;
    }
    expect(isBulwarkError(caught, 'BULWARK_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(field);
  });
});
