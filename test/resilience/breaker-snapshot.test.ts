import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BreakerSnapshot, ErrorCode, isBulwarkError, resilient } from '../../src/index.js';
import { breakerPolicy } from '../../src/resilience/index.js';
import { recordEvents, resetError, settle } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const fail = () => {
  throw resetError();
};
const options = { mode: 'consecutive', consecutiveFailures: 1, breakDurationMs: 5_000 } as const;

async function retryAfterOf(pipeline: ReturnType<typeof breakerPolicy>, key: string) {
  let called = false;
  const { error } = await settle(
    pipeline.execute(
      () => {
        called = true;
      },
      { key },
    ),
  );
  expect(called).toBe(false);
  expect(isBulwarkError(error, ErrorCode.CircuitOpen)).toBe(true);
  return (error as { retryAfterMs: number }).retryAfterMs;
}

describe('breakerSnapshot() and breaker.initialState', () => {
  it('round trip through JSON: the same states and the same time left (± 50 ms)', async () => {
    const before = breakerPolicy('bank', options);
    await settle(before.execute(fail, { key: 'open' }));
    await settle(before.execute(() => 'ok', { key: 'closed' }));
    await sleep(120);
    const snapshot = JSON.parse(JSON.stringify(before.breakerSnapshot())) as BreakerSnapshot;
    expect(snapshot).toMatchObject({ version: 1, pipeline: 'bank' });
    expect(snapshot.breakers).toHaveLength(2);

    const after = breakerPolicy('bank', { ...options, initialState: snapshot });
    expect(after.circuitState('open')).toBe('open');
    expect(after.circuitState('closed')).toBe('closed');
    const left = await retryAfterOf(before, 'open');
    const restored = await retryAfterOf(after, 'open');
    expect(Math.abs(restored - left)).toBeLessThanOrEqual(50);
    expect(left).toBeLessThan(5_000 - 100);
    expect(after.breakerSnapshot().breakers).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'open', state: 'open' })]),
    );
  });

  it('the time between snapshot and restore comes off the break; a break over restores half-open', async () => {
    vi.useFakeTimers();
    const before = breakerPolicy('bank', options);
    await settle(before.execute(fail, { key: 'a' }));
    await vi.advanceTimersByTimeAsync(1_000);
    await settle(before.execute(fail, { key: 'b' }));
    const snapshot = before.breakerSnapshot();
    expect(snapshot.breakers).toEqual([
      { key: 'a', state: 'open', remainingMs: 4_000 },
      { key: 'b', state: 'open', remainingMs: 5_000 },
    ]);
    // The process is down for 4.5 s (wall clock).
    await vi.advanceTimersByTimeAsync(4_500);
    const after = breakerPolicy('bank', { ...options, initialState: snapshot });
    expect(await retryAfterOf(after, 'b')).toBe(500);
    expect(after.circuitState('a')).toBe('half_open');
    const events = recordEvents(after);
    await expect(after.execute(() => 'ok', { key: 'a' })).resolves.toBe('ok');
    expect(after.circuitState('a')).toBe('closed');
    expect(events.map((e) => `${e.name}/${e.origin}`)).toEqual([
      'circuit_half_opened/local',
      'circuit_closed/local',
    ]);
  });

  it('a half-open breaker restores as half-open: its next call is the probe', async () => {
    vi.useFakeTimers();
    const before = breakerPolicy('bank', options);
    await settle(before.execute(fail));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(before.circuitState()).toBe('half_open');
    const after = breakerPolicy('bank', { ...options, initialState: before.breakerSnapshot() });
    expect(after.circuitState()).toBe('half_open');
    await settle(after.execute(fail));
    expect(after.circuitState()).toBe('open');
  });

  it('restores the open breakers first when the snapshot holds more keys than maxKeys', async () => {
    const snapshot: BreakerSnapshot = {
      version: 1,
      pipeline: 'bank',
      takenAtMs: Date.now(),
      breakers: [
        ...Array.from({ length: 5 }, (_, i) => ({
          key: `idle-${i}`,
          state: 'closed' as const,
          remainingMs: 0,
        })),
        { key: 'down', state: 'open', remainingMs: 3_000 },
      ],
    };
    const after = breakerPolicy('bank', { ...options, maxKeys: 2, initialState: snapshot });
    expect(after.circuitState('down')).toBe('open');
  });

  it('a pipeline without a breaker snapshots no keys', () => {
    const pipeline = resilient('plain', { breaker: false });
    expect(pipeline.breakerSnapshot()).toMatchObject({ version: 1, breakers: [] });
  });

  it('refuses a malformed snapshot at construction, naming the field', () => {
    const make = (initialState: unknown) => () =>
      breakerPolicy('bank', { initialState: initialState as BreakerSnapshot });
    expect(make({})).toThrow(/"breaker.initialState"/);
    expect(make({ version: 1, takenAtMs: 'x', breakers: [] })).toThrow(
      /"breaker.initialState.takenAtMs"/,
    );
    const entry = (e: object) => ({ version: 1, takenAtMs: 0, pipeline: 'p', breakers: [e] });
    expect(make(entry({ key: 1, state: 'open', remainingMs: 1 }))).toThrow(/breakers\[0\].key/);
    expect(make(entry({ key: 'k', state: 'shut', remainingMs: 1 }))).toThrow(/breakers\[0\].state/);
    expect(make(entry({ key: 'k', state: 'open', remainingMs: -1 }))).toThrow(
      /breakers\[0\].remainingMs/,
    );
    try {
      make({})();
    } catch (error) {
      expect(isBulwarkError(error, ErrorCode.InvalidOptions)).toBe(true);
    }
  });
});
