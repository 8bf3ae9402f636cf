import { afterAll, describe, expect, it, vi } from 'vitest';
import { createIdempotencyEngine } from '../../src/idempotency/index.js';
import { MemoryStore, resilient } from '../../src/index.js';
import { type StatusReport, statusHandler } from '../../src/status/index.js';
import { resetError } from '../resilience/helpers.js';
import { serveStatus } from './serve.js';

// The 15-minute history: a 10 s sampler (fake interval) over the counters the
// pipelines and the idempotency engine keep; nothing is recorded per call.

vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
const handler = statusHandler();
const service = await serveStatus(handler);
afterAll(async () => {
  await service.close();
  vi.useRealTimers();
});

const read = async () => (await (await fetch(`${service.url}?format=json`)).json()) as StatusReport;

describe('history', () => {
  it('charts calls and failures per 10 s, oldest first, the last point in progress, at most 90 points', async () => {
    const bank = resilient('history-bank', { retry: false });
    const ok = () => bank.execute(() => 'ok');
    const fail = () => bank.execute(() => Promise.reject(resetError())).catch(() => undefined);
    for (let i = 0; i < 3; i++) await ok();
    vi.advanceTimersByTime(10_000);
    await fail();
    await fail();
    vi.advanceTimersByTime(10_000);
    await ok();
    let pipeline = (await read()).pipelines.find((p) => p.name === 'history-bank')!;
    expect(pipeline.history.calls).toEqual([3, 2, 1]);
    expect(pipeline.history.failures).toEqual([0, 2, 0]);

    // Past 15 minutes the oldest points leave: the series stays at 90 points.
    vi.advanceTimersByTime(100 * 10_000);
    pipeline = (await read()).pipelines.find((p) => p.name === 'history-bank')!;
    expect(pipeline.history.calls).toHaveLength(90);
    expect(pipeline.history.calls.every((n) => n === 0)).toBe(true);
    expect(pipeline.calls).toBe(6);
  });

  it('counts idempotency outcomes per minute, up to 15 minutes', async () => {
    const engine = createIdempotencyEngine({ store: new MemoryStore() });
    const op = async () => ({
      response: { status: 201, headers: {}, body: new Uint8Array() },
      record: true,
    });
    for (let i = 0; i < 4; i++) await engine.execute({ key: `h${i}`, fingerprint: 'f' }, op);
    vi.advanceTimersByTime(60_000);
    await engine.execute({ key: 'h0', fingerprint: 'f' }, op);
    const { idempotency } = await read();
    expect(idempotency.perMinute.at(-1)).toMatchObject({ replayed: 1, executed: 0 });
    expect(idempotency.perMinute.at(-2)).toMatchObject({ executed: 4 });
    expect(idempotency.perMinute.length).toBeLessThanOrEqual(15);
    expect(idempotency.totals).toMatchObject({ executed: 4, replayed: 1 });
  });
});
