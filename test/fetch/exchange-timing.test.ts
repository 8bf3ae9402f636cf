import { afterEach, describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { type Loopback, startLoopback } from './loopback.js';

/*
 * The exchange hands undici a handler of its own that forwards to fetch's
 * (src/fetch/exchange.ts), on every handler API (Node 22, 24, 26): whatever
 * fetch's own handler records of the exchange must still be recorded.
 * Resource timing is what a user sees of it (and what a dashboard of
 * `performance` entries reads).
 */

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function timingOf(url: string): PerformanceResourceTiming | undefined {
  return performance
    .getEntriesByType('resource')
    .find((entry): entry is PerformanceResourceTiming => entry.name === url);
}

describe('a createFetch() call keeps what fetch records of its exchange', () => {
  it('its resource timing entry has the moment the response started, as a raw fetch has', async () => {
    performance.clearResourceTimings();
    server = await startLoopback((_req, res) => {
      setTimeout(() => res.end('ok'), 20);
    });
    const raw = `${server.origin}/raw`;
    const wrapped = `${server.origin}/wrapped`;
    await (await fetch(raw)).text();
    await (await createFetch()(wrapped)).text();

    await expect.poll(() => timingOf(wrapped)).toBeDefined();
    const rawStart = timingOf(raw)?.responseStart ?? 0;
    const entry = timingOf(wrapped)!;
    // On this runtime a raw fetch records it: so must the wrapped one.
    expect(rawStart).toBeGreaterThan(0);
    expect(entry.responseStart).toBeGreaterThan(0);
    expect(entry.responseStart).toBeGreaterThanOrEqual(entry.startTime);
    expect(entry.responseEnd).toBeGreaterThanOrEqual(entry.responseStart);
  });
});
