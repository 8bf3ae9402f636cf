import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { MemoryStore } from '../../src/index.js';
import { sourceFilesRunBy, valueImportsOf, walkInArchitecture } from '../support/walk.js';
import { type Served, serve } from './serve.js';

/*
 * Issue 14: a newcomer follows one first-time POST through `idempotency()` to
 * the store and back in at most eight files, the numbered steps of
 * ARCHITECTURE.md; every other file the request runs is a leaf helper the
 * section names, and a leaf never calls back into the flow: no helper imports
 * a step (as a value). Express 5, `express.json()`, MemoryStore, no OTel SDK.
 */

let served: Served | undefined;
afterAll(() => served?.close());

describe('one first-time POST through idempotency() (Express, MemoryStore)', () => {
  it('runs the steps ARCHITECTURE.md walks through (at most 8) and no file it does not name', async () => {
    const app = express();
    app.use(express.json());
    app.use(idempotency({ store: new MemoryStore() }));
    app.post('/transfers', (req, res) => {
      res.status(201).json({ id: 'tr_1', amount: req.body.amount });
    });
    served = await serve(app);
    let key = 0;
    const post = async () => {
      const response = await fetch(`${served!.url}/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `walk-${key++}` },
        body: JSON.stringify({ amount: 1250 }),
      });
      expect(response.status).toBe(201);
      await response.text();
    };
    // Warm-up: first-use work (instruments, route templates) is not the walk.
    for (let i = 0; i < 3; i++) await post();
    const files = await sourceFilesRunBy(post);
    const walk = walkInArchitecture('One first-time POST through `idempotency()` (Express)');
    expect(walk.steps.length).toBeGreaterThan(0);
    expect(walk.steps.length).toBeLessThanOrEqual(8);
    expect(files).toEqual(expect.arrayContaining(walk.steps));
    expect(files.filter((file) => !walk.named.includes(file))).toEqual([]);
    expect(walk.filesRun).toBe(files.length);
  });

  it('names helpers that are leaves: none imports a step, so control never returns through one', () => {
    const walk = walkInArchitecture('One first-time POST through `idempotency()` (Express)');
    expect(walk.helpers.length).toBeGreaterThan(0);
    const backIntoFlow = walk.helpers.flatMap((helper) =>
      valueImportsOf(helper)
        .filter((file) => walk.steps.includes(file))
        .map((step) => `${helper} → ${step}`),
    );
    expect(backIntoFlow).toEqual([]);
  });
});
