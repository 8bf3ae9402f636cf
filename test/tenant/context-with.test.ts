import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { contextWith } from '../../src/tenant/context-with.js';

const A = createContextKey('test.a');
const B = createContextKey('test.b');
const C = createContextKey('test.c');

describe('contextWith', () => {
  it('reads as parent.setValue(key, value) would, and derives contexts that keep every value', () => {
    const parent = ROOT_CONTEXT.setValue(A, 'a').setValue(B, 'outer b');
    const ctx = contextWith(parent, B, 'b');
    expect([ctx.getValue(A), ctx.getValue(B), ctx.getValue(C)]).toEqual(['a', 'b', undefined]);
    expect(parent.getValue(B)).toBe('outer b');

    const derived = ctx.setValue(C, 'c');
    expect([derived.getValue(A), derived.getValue(B), derived.getValue(C)]).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(ctx.getValue(C)).toBeUndefined();

    const without = ctx.deleteValue(B);
    expect([without.getValue(A), without.getValue(B)]).toEqual(['a', undefined]);
    expect(ctx.getValue(B)).toBe('b');
    // A second derivation starts from the same values, not from the first one's.
    expect(ctx.setValue(A, 'new a').getValue(C)).toBeUndefined();
  });
});
