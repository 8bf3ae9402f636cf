import { invalidOption } from '../errors.js';
import type { BreakerStateAt, CircuitState } from './circuit-breaker.js';

/**
 * A pipeline's breakers, written down so that a restarted process starts
 * where the last one stopped (`pipeline.breakerSnapshot()`, then
 * `resilient(name, { breaker: { initialState } })`). Plain JSON: store it in a
 * file, a database or an environment variable. Time left is relative, and the
 * wall-clock time of the snapshot is kept so that a restore subtracts the
 * time that passed in between.
 */
export interface BreakerSnapshot {
  /** The format's version; 1. */
  readonly version: 1;
  /** The pipeline's name, for the reader's benefit (a restore does not check it). */
  readonly pipeline: string;
  /** Wall-clock time the snapshot was taken (`Date.now()`), in ms since the epoch. */
  readonly takenAtMs: number;
  /** One entry per breaker key the pipeline held. */
  readonly breakers: readonly BreakerSnapshotEntry[];
}

/** One breaker in a {@link BreakerSnapshot}. */
export interface BreakerSnapshotEntry {
  /** The breaker key ('' = the pipeline's unkeyed breaker). */
  readonly key: string;
  /** Its state when the snapshot was taken. */
  readonly state: CircuitState;
  /** Break left when open, in ms; 0 otherwise. */
  readonly remainingMs: number;
}

const STATES: readonly string[] = ['closed', 'open', 'half_open'];
const MAX_ENTRIES = 1_000_000;

/** Builds a snapshot of `breakers` (key → state and break left). */
export function takeSnapshot(
  pipeline: string,
  breakers: Iterable<[string, BreakerStateAt]>,
): BreakerSnapshot {
  const entries: BreakerSnapshotEntry[] = [];
  for (const [key, at] of breakers) {
    entries.push({ key, state: at.state, remainingMs: Math.round(at.remainingMs) });
  }
  return { version: 1, pipeline, takenAtMs: Date.now(), breakers: entries };
}

/**
 * Validates `value` as a {@link BreakerSnapshot} (at construction, naming
 * `breaker.initialState`) and returns its entries as they stand now: the
 * wall-clock time since it was taken comes off each break, never below 0 (a
 * break that ended meanwhile restores as half-open: the next call probes).
 */
export function entriesToRestore(scope: string, value: unknown): BreakerSnapshotEntry[] {
  const field = 'breaker.initialState';
  const snapshot = value as Partial<BreakerSnapshot> | null;
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.version !== 1) {
    throw invalidOption(scope, field, value, 'a snapshot from breakerSnapshot() (version 1)');
  }
  const { takenAtMs, breakers } = snapshot;
  if (typeof takenAtMs !== 'number' || !Number.isFinite(takenAtMs)) {
    throw invalidOption(scope, `${field}.takenAtMs`, takenAtMs, 'a time in ms since the epoch');
  }
  if (!Array.isArray(breakers) || breakers.length > MAX_ENTRIES) {
    throw invalidOption(scope, `${field}.breakers`, breakers, 'an array of breaker entries');
  }
  const elapsedMs = Math.max(0, Date.now() - takenAtMs);
  return breakers.map((entry: Partial<BreakerSnapshotEntry> | null, i) => {
    const at = `${field}.breakers[${i}]`;
    if (typeof entry !== 'object' || entry === null || typeof entry.key !== 'string') {
      throw invalidOption(scope, `${at}.key`, entry?.key, 'a string');
    }
    if (typeof entry.state !== 'string' || !STATES.includes(entry.state)) {
      throw invalidOption(scope, `${at}.state`, entry.state, '"closed", "open" or "half_open"');
    }
    const remaining = entry.remainingMs;
    if (typeof remaining !== 'number' || !Number.isFinite(remaining) || remaining < 0) {
      throw invalidOption(scope, `${at}.remainingMs`, remaining, 'a number of ms ≥ 0');
    }
    const remainingMs = entry.state === 'open' ? Math.max(0, remaining - elapsedMs) : 0;
    return { key: entry.key, state: entry.state, remainingMs };
  });
}
