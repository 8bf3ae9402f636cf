import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';

/*
 * `error.type` on a failed attempt's span is a metric-grade attribute: it must
 * come from a fixed set (or `_OTHER`), never from whatever `code` a failing
 * transport or wrapper made up from data.
 */

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

/** The error.type of the one attempt span of a call that fails with `error`. */
async function errorTypeOf(error: unknown): Promise<unknown> {
  const failing = createFetch({
    name: `span-error-type-${Math.random()}`,
    resilience: { retry: false },
    fetch: async () => {
      throw error;
    },
  });
  await expect(failing('http://127.0.0.1:9/x')).rejects.toBeDefined();
  const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'GET');
  return span?.attributes['error.type'];
}

describe('createFetch(): error.type on attempt spans is bounded', () => {
  it.each([
    // The code is not a known one: the class decides.
    [
      'a code made from data',
      Object.assign(new Error('x'), { code: 'acct-4711-declined' }),
      'Error',
    ],
    [
      'an upper-case code made from data',
      Object.assign(new Error('x'), { code: 'ACCT_4711' }),
      'Error',
    ],
    [
      'a code and a class made from data',
      Object.assign(new Error('x'), { code: 'ACCT_4711', name: 'Acct4711Error' }),
      '_OTHER',
    ],
    ['a name made from data', Object.assign(new Error('x'), { name: 'Tenant4711Error' }), '_OTHER'],
    ['a known network code', Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    ['a plain TypeError', new TypeError('fetch failed'), 'TypeError'],
  ])('%s', async (_name, error, expected) => {
    expect(await errorTypeOf(error)).toBe(expected);
  });
});
