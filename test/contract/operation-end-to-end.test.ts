/**
 * Exactly once, end to end: a service built with bulwark's idempotency (Express
 * middleware or the Fastify plugin) + createFetch()
 * in front of a strict bank (a key reused with another payment is refused, as
 * Stripe does). Whatever re-runs the client's key (a 5xx that released it, a
 * connection the bank dropped after executing), the bank sees one key and one
 * identical payment per logical operation, and the client ends with a 201.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { getOperation, MemoryStore } from '../../src/index.js';
import { type StrictBank, startStrictBank } from '../support/strict-bank.js';
import { adapters, closeApps } from './adapters.js';

afterAll(closeApps);

describe.each(adapters)('one identity per operation, end to end ($name)', (adapter) => {
  let bank: StrictBank;
  beforeEach(async () => {
    bank = await startStrictBank();
  });
  afterEach(() => bank.close());

  /** The service: one bank payment (two with `fee`) per transfer, the transfer id = the operation id. */
  async function startService(options: { retry?: boolean; failAnswers?: number; fee?: boolean }) {
    let failAnswers = options.failAnswers ?? 0;
    const operationIds: string[] = [];
    const claimIds: (string | undefined)[] = [];
    const bankFetch = createFetch({
      name: `bank-${randomUUID()}`,
      resilience: options.retry === false ? { retry: false } : { retry: { baseDelayMs: 1 } },
    });
    const pay = (body: object) =>
      bankFetch(`${bank.url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const service = await adapter.makeApp({
      idempotency: { store: new MemoryStore() },
      routes: [
        {
          method: 'POST',
          path: '/transfers',
          handler: async ({ body, claimOperationId }) => {
            const operation = getOperation();
            if (operation === undefined) throw new Error('no operation in the handler');
            operationIds.push(operation.id);
            claimIds.push(claimOperationId);
            const amount = (body as { amount: number }).amount;
            const payment = await pay({ transferId: operation.id, amount });
            if (payment.status !== 201)
              return { status: 502, json: { error: `bank answered ${payment.status}` } };
            const receipt = (await payment.json()) as { reference: string };
            if (options.fee) await pay({ transferId: operation.id, fee: 25 });
            if (failAnswers > 0) {
              failAnswers -= 1; // our own database hiccups after the bank moved the money
              return { status: 503, json: { error: 'try again' } };
            }
            return { status: 201, json: { id: operation.id, reference: receipt.reference } };
          },
        },
      ],
    });
    const post = async (key: string) => {
      const response = await fetch(`${service.url}/transfers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': key,
          'x-tenant-id': 'acme',
        },
        body: JSON.stringify({ amount: 1_000 }),
      });
      return {
        status: response.status,
        body: await response.text(),
        retryAfter: response.headers.get('retry-after'),
      };
    };
    return { post, operationIds, claimIds };
  }

  it('a re-run after a 5xx released the key sends the bank the identical payment under the same key', async () => {
    const service = await startService({ failAnswers: 1 });
    const first = await service.post('transfer-1');
    expect(first.status).toBe(503);
    const retry = await service.post('transfer-1');
    expect(retry.status).toBe(201);
    expect(service.operationIds).toHaveLength(2);
    expect(new Set(service.operationIds).size).toBe(1);
    expect(JSON.parse(retry.body)).toEqual({ id: service.operationIds[0], reference: 'BNK-1' });
    expect(bank.executions).toHaveLength(1);
    expect(bank.refused).toBe(0);
    expect(new Set(bank.keysSeen).size).toBe(1);
  });

  it('a bank that executes and drops the connection: 503 + Retry-After, then the retry gets the first result', async () => {
    const service = await startService({ retry: false });
    bank.faults.push('drop-after-execute');
    const first = await service.post('transfer-2');
    expect(first.status).toBe(503); // the outcome is unknown: never a final answer
    expect(first.retryAfter).not.toBeNull();
    expect(JSON.parse(first.body).type).toMatch(/downstream-unreachable$/);
    const retry = await service.post('transfer-2');
    expect(retry.status).toBe(201);
    expect(JSON.parse(retry.body).reference).toBe('BNK-1');
    expect(bank.executions).toHaveLength(1);
    expect(bank.refused).toBe(0);
    expect(bank.keysSeen).toHaveLength(2);
    expect(new Set(bank.keysSeen).size).toBe(1);
  });

  it('with retries on, the same drop is cured inside the call: one answer, one execution', async () => {
    const service = await startService({});
    bank.faults.push('drop-after-execute');
    const only = await service.post('transfer-3');
    expect(only.status).toBe(201);
    expect(bank.executions).toHaveLength(1);
    expect(bank.keysSeen).toHaveLength(2); // the retry, replayed by the bank
    expect(bank.refused).toBe(0);
  });

  it('two calls in one handler get two keys, and a re-run derives both again', async () => {
    const service = await startService({ fee: true, failAnswers: 1 });
    expect((await service.post('transfer-4')).status).toBe(503);
    expect((await service.post('transfer-4')).status).toBe(201);
    const [payment, fee, paymentAgain, feeAgain] = bank.keysSeen;
    expect(payment).not.toBe(fee);
    expect([paymentAgain, feeAgain]).toEqual([payment, fee]);
    expect(bank.executions).toHaveLength(2);
    expect(bank.refused).toBe(0);
  });

  it('idempotencyClaim(res) carries the operation id the handler sees', async () => {
    const service = await startService({});
    expect((await service.post('transfer-5')).status).toBe(201);
    expect(service.claimIds).toEqual(service.operationIds);
  });

  it('50 concurrent duplicates: one bank execution, identical 201 bodies', async () => {
    const service = await startService({});
    const answers = await Promise.all(Array.from({ length: 50 }, () => service.post('transfer-6')));
    const settled = await Promise.all(
      answers.map(async (answer) => {
        // 409 while the first is in flight: retry as a client would until it settles.
        let current = answer;
        while (current.status === 409) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          current = await service.post('transfer-6');
        }
        return current;
      }),
    );
    expect(new Set(settled.map((a) => `${a.status} ${a.body}`)).size).toBe(1);
    expect(settled[0]?.status).toBe(201);
    expect(bank.executions).toHaveLength(1);
    expect(bank.refused).toBe(0);
  });

  it('outside an operation, createFetch keeps making a fresh key per call', async () => {
    const bankFetch = createFetch({ name: `plain-${randomUUID()}` });
    for (let i = 0; i < 2; i++) {
      const response = await bankFetch(`${bank.url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ transferId: 'same', amount: 1 }),
      });
      await response.arrayBuffer();
    }
    expect(new Set(bank.keysSeen).size).toBe(2);
  });
});
