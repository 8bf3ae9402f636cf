import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bank, startBank } from '../../examples/bank-simulator/bank.mjs';
import { uniqueId } from './harness.js';

// The simulated bank is as strict as a real payment API: a key executes once,
// the identical payment under it replays, and any other payment under it
// (a new transfer id included) is refused with 422 and counted.

let bank: Bank;

beforeAll(async () => {
  bank = await startBank();
});

afterAll(() => bank?.close());

const payment = (transferId: string) => ({
  transferId,
  amount: 1250,
  currency: 'EUR',
  from: 'acc-a',
  to: 'acc-b',
});

async function pay(key: string, body: unknown) {
  const response = await fetch(`${bank.url}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('the strict bank', () => {
  it('replays the identical payment under a key that executed', async () => {
    const key = uniqueId('k-');
    const first = await pay(key, payment('t-1'));
    const again = await pay(key, payment('t-1'));
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    expect(bank.stats().keys[key]).toMatchObject({ hits: 2, executions: 1, refused: 0 });
  });

  it.each([
    ['another transfer id', { transferId: 't-other' }],
    ['another amount', { amount: 1 }],
    ['another payee', { to: 'acc-c' }],
  ])('refuses the key re-sent with %s: 422, counted, nothing executed', async (_name, change) => {
    const key = uniqueId('k-');
    const before = bank.stats();
    expect((await pay(key, payment('t-2'))).status).toBe(201);
    const refused = await pay(key, { ...payment('t-2'), ...change });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ error: 'idempotency_key_reused' });
    const after = bank.stats();
    expect(after.refused).toBe(before.refused + 1);
    expect(after.executions).toBe(before.executions + 1);
    expect(after.keys[key]).toMatchObject({
      hits: 2,
      executions: 1,
      refused: 1,
      transferId: 't-2',
    });
  });

  it('drop: processes the payment, then drops the connection without an answer', async () => {
    const key = uniqueId('k-');
    const before = bank.stats();
    bank.control({ mode: 'drop', count: 2 });
    await expect(pay(key, payment('t-3'))).rejects.toThrow();
    expect(bank.stats().executions).toBe(before.executions + 1);
    // The re-send is processed as a replay, and dropped too.
    await expect(pay(key, payment('t-3'))).rejects.toThrow();
    const again = await pay(key, payment('t-3'));
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ transferId: 't-3' });
    const after = bank.stats();
    expect(after.executions).toBe(before.executions + 1);
    expect(after.replays).toBe(before.replays + 2);
    expect(after.faults.injected.drop).toBe((before.faults.injected.drop ?? 0) + 2);
  });

  it('reset: drops the connection before the payment is processed', async () => {
    const key = uniqueId('k-');
    const before = bank.stats().executions;
    bank.control({ mode: 'reset', count: 1 });
    await expect(pay(key, payment('t-4'))).rejects.toThrow();
    expect(bank.stats().executions).toBe(before);
    expect((await pay(key, payment('t-4'))).status).toBe(201);
  });

  it('refuses fault settings it does not know, in process and over HTTP', async () => {
    expect(() =>
      bank.control({ mode: 'reset', afterExecute: true } as unknown as Parameters<
        Bank['control']
      >[0]),
    ).toThrow(/unknown field "afterExecute"/);
    expect(() => bank.control({ mode: 'sideways' } as never)).toThrow(/mode must be one of/);
    const response = await fetch(`${bank.url}/control`, {
      method: 'POST',
      body: JSON.stringify({ mode: 'drop', count: -1 }),
    });
    expect(response.status).toBe(400);
    expect(bank.stats().faults.mode).toBe('healthy');
  });
});
