import { invalidOption } from '../errors.js';
import { OTHER_LABEL } from './attributes.js';

/**
 * Maps a value taken from a request (a tenant id, a jurisdiction) to the label
 * a metric may carry: the first `max` distinct values it admits keep their
 * own label, every later one is recorded as `other`. First come keeps the
 * label because a metric stream whose label moves between series mid-flight
 * breaks cumulative counters; no measurement is ever dropped, only folded.
 *
 * `admit: false` looks a value up without letting it take a free slot: a
 * value already kept keeps its label, a new one is `other`. For measurements
 * of requests that were refused, so that a client cannot fill the slots with
 * values it never got served for. O(1) per call; memory bounded by `max`.
 */
export type LabelGuard = (value: string | undefined, admit?: boolean) => string | undefined;

/**
 * Creates a {@link LabelGuard} keeping at most `max` values, `alwaysKeep`
 * among them. `scope` and `field` name the option in validation errors.
 */
export function createLabelGuard(
  scope: string,
  field: string,
  max: number,
  alwaysKeep: readonly string[],
): LabelGuard {
  if (!Number.isSafeInteger(max) || max < 0) {
    throw invalidOption(scope, field, max, 'a non-negative integer');
  }
  const kept = new Set<string>(alwaysKeep);
  if (kept.size > max) {
    throw invalidOption(scope, 'alwaysKeep', kept.size, `at most ${field} (${max}) values`);
  }
  return function labelGuard(value, admit = true) {
    if (value === undefined) return undefined;
    if (kept.has(value)) return value;
    if (admit && kept.size < max) {
      kept.add(value);
      return value;
    }
    return OTHER_LABEL;
  };
}
