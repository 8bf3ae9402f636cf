import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOperation, operationFor, runInOperation } from '../../src/idempotency/operation.js';
import { getTenant, InvalidTenantError, isBulwarkError, withTenant } from '../../src/index.js';

describe('withTenant / getTenant without an OTel SDK', () => {
  it('is undefined outside any tenant', () => {
    expect(getTenant()).toBeUndefined();
  });

  it('carries the tenant across await, timers and event emitters', async () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    await withTenant(
      { tenantId: 'acme', jurisdiction: 'de', transactionType: 'payout' },
      async () => {
        emitter.on('tick', () => seen.push(getTenant()?.tenantId));
        await sleep(1);
        seen.push(getTenant()?.jurisdiction);
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            seen.push(getTenant()?.transactionType);
            resolve();
          }, 1),
        );
        emitter.emit('tick');
      },
    );
    expect(seen).toEqual(['DE', 'payout', 'acme']);
    expect(getTenant()).toBeUndefined();
  });

  it('returns what fn returns, sync and async', async () => {
    expect(withTenant({ tenantId: 't1' }, () => 42)).toBe(42);
    await expect(withTenant({ tenantId: 't1' }, async () => 'x')).resolves.toBe('x');
  });

  it('nesting replaces the fields given and keeps the rest', () => {
    withTenant({ tenantId: 'a', jurisdiction: 'US-NY', transactionType: 'payout' }, () => {
      withTenant({ transactionType: 'refund' }, () => {
        expect(getTenant()).toEqual({
          tenantId: 'a',
          jurisdiction: 'US-NY',
          transactionType: 'refund',
        });
      });
      expect(getTenant()?.transactionType).toBe('payout');
    });
  });

  it('returns a frozen tenant', () => {
    withTenant({ tenantId: 'a' }, () => {
      expect(Object.isFrozen(getTenant())).toBe(true);
    });
  });
});

describe('tenant validation', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['empty id', { tenantId: '' }, 'BULWARK_INVALID_TENANT_ID'],
    ['65-character id', { tenantId: 'a'.repeat(65) }, 'BULWARK_INVALID_TENANT_ID'],
    ['path traversal', { tenantId: '../' }, 'BULWARK_INVALID_TENANT_ID'],
    ['parent directory "..", a path segment', { tenantId: '..' }, 'BULWARK_INVALID_TENANT_ID'],
    ['current directory "."', { tenantId: '.' }, 'BULWARK_INVALID_TENANT_ID'],
    ['dots only', { tenantId: '.'.repeat(64) }, 'BULWARK_INVALID_TENANT_ID'],
    ['newline', { tenantId: 'a\nb' }, 'BULWARK_INVALID_TENANT_ID'],
    [
      'alpha-3 jurisdiction',
      { tenantId: 'a', jurisdiction: 'DEU' },
      'BULWARK_INVALID_JURISDICTION',
    ],
    ['digit jurisdiction', { tenantId: 'a', jurisdiction: 'D3' }, 'BULWARK_INVALID_JURISDICTION'],
    // Non-ASCII letters that upper-case into a valid code must not become one.
    ['"ß", upper-cased "SS"', { tenantId: 'a', jurisdiction: 'ß' }, 'BULWARK_INVALID_JURISDICTION'],
    ['"ﬁ", upper-cased "FI"', { tenantId: 'a', jurisdiction: 'ﬁ' }, 'BULWARK_INVALID_JURISDICTION'],
    [
      '"ıt", upper-cased "IT"',
      { tenantId: 'a', jurisdiction: 'ıt' },
      'BULWARK_INVALID_JURISDICTION',
    ],
    [
      '4-character subdivision',
      { tenantId: 'a', jurisdiction: 'US-NYCX' },
      'BULWARK_INVALID_JURISDICTION',
    ],
    ['empty subdivision', { tenantId: 'a', jurisdiction: 'US-' }, 'BULWARK_INVALID_JURISDICTION'],
    [
      'upper-case type',
      { tenantId: 'a', transactionType: 'Payout' },
      'BULWARK_INVALID_TRANSACTION_TYPE',
    ],
  ];

  for (const [name, input, code] of bad) {
    it(`rejects ${name} with ${code} and changes no context`, () => {
      withTenant({ tenantId: 'outer', jurisdiction: 'FR' }, () => {
        let ran = false;
        let caught: unknown;
        try {
          withTenant(input as never, () => {
            ran = true;
          });
        } catch (error) {
          caught = error;
        }
        expect(ran).toBe(false);
        expect(isBulwarkError(caught, code as never)).toBe(true);
        expect(caught).toBeInstanceOf(InvalidTenantError);
        expect(getTenant()).toEqual({ tenantId: 'outer', jurisdiction: 'FR' });
      });
    });
  }

  it('accepts ids that hold dots among other characters', () => {
    for (const tenantId of ['.acme', 'acme.', 'a..b', '..a', 'a:.']) {
      withTenant({ tenantId }, () => {
        expect(getTenant()?.tenantId).toBe(tenantId);
      });
    }
  });

  it('accepts ISO 3166-1 alpha-2 codes and ISO 3166-2 subdivisions of 1-3 letters or digits', () => {
    for (const [input, expected] of [
      ['de', 'DE'],
      ['GB-ENG', 'GB-ENG'],
      ['fr-75', 'FR-75'],
      ['es-m', 'ES-M'],
      ['CN-BJ', 'CN-BJ'],
    ]) {
      withTenant({ tenantId: 'a', jurisdiction: input }, () => {
        expect(getTenant()?.jurisdiction).toBe(expected);
      });
    }
  });

  it('accepts 64 characters and subdivisions', () => {
    withTenant({ tenantId: 'a'.repeat(64), jurisdiction: 'us-ny' }, () => {
      expect(getTenant()?.jurisdiction).toBe('US-NY');
    });
  });

  it('never echoes control characters in the message', () => {
    try {
      withTenant({ tenantId: 'x\r\ninjected' }, () => undefined);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/[\r\n]/);
    }
    expect.assertions(1);
  });
});

describe('withTenant / getTenant with the SDK context manager registered', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('keeps the tenant in the OTel context itself, not in baggage', () => {
    withTenant({ tenantId: 'acme', jurisdiction: 'DE' }, () => {
      expect(context.active()).not.toBe(ROOT_CONTEXT);
      expect(propagation.getBaggage(context.active())).toBeUndefined();
      expect(getTenant()).toEqual({ tenantId: 'acme', jurisdiction: 'DE' });
    });
    expect(getTenant()).toBeUndefined();
  });

  it('follows await, timers, event emitters and context.with/bind', async () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    const bound = await withTenant({ tenantId: 'acme', transactionType: 'payout' }, async () => {
      context.bind(context.active(), emitter);
      emitter.on('tick', () => seen.push(getTenant()?.tenantId));
      await sleep(1);
      seen.push(getTenant()?.transactionType);
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(getTenant()?.tenantId);
          resolve();
        }, 1),
      );
      return context.bind(context.active(), () => getTenant()?.tenantId);
    });
    emitter.emit('tick'); // emitted outside, but bound to the tenant's context
    expect(seen).toEqual(['payout', 'acme', 'acme']);
    expect(bound()).toBe('acme');
    expect(context.with(ROOT_CONTEXT, () => getTenant())).toBeUndefined();
  });

  it('keeps the outer span and the tenant through contexts derived inside the tenant', () => {
    const outerSpan = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    const innerSpan = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    const seen = context.with(trace.setSpan(context.active(), outerSpan), () =>
      withTenant({ tenantId: 'acme' }, () => {
        const inTenant = trace.getSpan(context.active());
        // What an instrumentation does inside the tenant: a context with its own span.
        const derived = trace.setSpan(context.active(), innerSpan);
        return context.with(derived, () => ({
          inTenant,
          span: trace.getSpan(context.active()),
          tenant: getTenant()?.tenantId,
        }));
      }),
    );
    expect(seen).toEqual({ inTenant: outerSpan, span: innerSpan, tenant: 'acme' });
  });

  // With a carrying manager, the tenant and the operation ride in the OTel context
  // alone: a context reset to the root sees neither, and never an outer one.
  it('never shows an outer tenant or operation in a context reset to the root', () => {
    const outer = operationFor('outer', 'outer');
    const inner = operationFor('inner', 'inner');
    const seen = withTenant({ tenantId: 'outer' }, () =>
      runInOperation(outer, () =>
        withTenant({ tenantId: 'inner' }, () =>
          runInOperation(inner, () => [
            getTenant()?.tenantId,
            getOperation() === inner,
            context.with(ROOT_CONTEXT, () => [getTenant()?.tenantId, getOperation()]),
          ]),
        ),
      ),
    );
    expect(seen).toEqual(['inner', true, [undefined, undefined]]);
  });

  // Every AsyncLocalStorage that ever ran costs on each promise of the process:
  // with a carrying manager, bulwark's own must never be entered.
  it('enters no frame of its own while the OTel context carries both', async () => {
    const flow = (globalThis as Record<symbol, { getStore(): unknown }>)[
      Symbol.for('bulwark.flow.v1')
    ];
    const seen = await withTenant({ tenantId: 'acme' }, () =>
      runInOperation(operationFor('k', 'acme'), async () => {
        await sleep(1);
        return [flow?.getStore(), getTenant()?.tenantId, getOperation() !== undefined];
      }),
    );
    expect(seen).toEqual([undefined, 'acme', true]);
  });

  // A flow begun without a carrying manager has a frame of bulwark's own; every
  // entry inside it must update that frame, which a root context still reads.
  it('keeps a frame begun without a manager up to date once one registers', async () => {
    context.disable();
    const inner = operationFor('inner', 'inner');
    try {
      const seen = await withTenant({ tenantId: 'outer' }, async () => {
        context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
        await sleep(1);
        return runInOperation(operationFor('outer', 'outer'), () =>
          withTenant({ tenantId: 'inner' }, () => [
            context.with(ROOT_CONTEXT, () => getTenant()?.tenantId),
            runInOperation(inner, () =>
              context.with(ROOT_CONTEXT, () => [getTenant()?.tenantId, getOperation() === inner]),
            ),
          ]),
        );
      });
      expect(seen).toEqual(['inner', ['inner', true]]);
    } finally {
      context.disable();
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    }
  });

  it('keeps concurrent tenants apart', async () => {
    const run = (tenantId: string, delayMs: number) =>
      withTenant({ tenantId }, async () => {
        await sleep(delayMs);
        return getTenant()?.tenantId;
      });
    expect(await Promise.all([run('a', 5), run('b', 1), run('c', 3)])).toEqual(['a', 'b', 'c']);
  });
});
