import { randomUUID } from 'node:crypto';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler, idempotency } from '../../src/express/index.js';
import { BulwarkError, ErrorCode, MemoryStore } from '../../src/index.js';
import { closeAll, gate, listen, postJson } from '../express/idempotency-helpers.js';
import { FaultyStore } from '../idempotency/faulty-store.js';

/*
 * One source of truth for problem+json: the answer idempotency() gives itself
 * and the answer errorHandler() gives for an error of the same code are the
 * same answer (status, type, title, detail, code, Retry-After or not).
 */

afterEach(closeAll);

interface Seen {
  status: number;
  retryAfter: boolean;
  body: Record<string, unknown>;
}

async function seen(response: Response): Promise<Seen> {
  return {
    status: response.status,
    retryAfter: response.headers.has('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** What errorHandler() answers for a BulwarkError of `code`. */
async function fromErrorHandler(code: string): Promise<Seen> {
  const app = express();
  app.post('/fail', () => {
    throw new BulwarkError(code as never, 'internal message', { retryAfterMs: 2_000 });
  });
  app.use(errorHandler());
  const { url } = await listen(app);
  return seen(await fetch(`${url}/fail`, { method: 'POST' }));
}

describe('one problem table for idempotency() and errorHandler()', () => {
  it('in flight, mismatch, outcome unknown, lease lost, store down: the same answer from both', async () => {
    const hold = gate();
    const faulty = new FaultyStore(new MemoryStore());
    const app = express();
    app.post(
      '/t',
      express.json(),
      idempotency({ store: faulty, leaseMs: 60_000 }),
      async (req, res) => {
        if (req.body.hold) await hold.wait;
        res.status(201).json({ ok: true });
      },
    );
    app.use(errorHandler());
    const { url } = await listen(app);
    const own: Record<string, Seen> = {};

    const key = randomUUID();
    const original = postJson(`${url}/t`, key, { hold: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    own[ErrorCode.IdempotencyInFlight] = await seen(
      await postJson(`${url}/t`, key, { hold: true }),
    );
    hold.open();
    await original;
    own[ErrorCode.IdempotencyMismatch] = await seen(await postJson(`${url}/t`, key, { other: 1 }));
    faulty.faults.complete = 'throw';
    own[ErrorCode.IdempotencyOutcomeUnknown] = await seen(
      await postJson(`${url}/t`, randomUUID(), {}),
    );
    faulty.faults.complete = 'fenced';
    own[ErrorCode.IdempotencyLeaseLost] = await seen(await postJson(`${url}/t`, randomUUID(), {}));
    faulty.faults.claim = 'throw';
    own[ErrorCode.IdempotencyStoreUnavailable] = await seen(
      await postJson(`${url}/t`, randomUUID(), {}),
    );

    for (const [code, answer] of Object.entries(own)) {
      expect({ code, ...answer }).toEqual({ code, ...(await fromErrorHandler(code)) });
    }
  });
});
