import { invalidOption } from '../errors.js';

/**
 * Option checks shared by the resilience layers. Each names the field with
 * its section (`retry.baseDelayMs`) so a misconfiguration points at itself.
 */

/** Throws unless `value` is a finite number in `[min, max]` (and an integer if asked). */
export function checkNumber(
  scope: string,
  field: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw invalidOption(scope, field, value, `${kind} from ${min} to ${max}`);
  }
  return value as number;
}

/** Throws when `options` has a field not in `known`: a typo must not silently fall back to a default. */
export function checkKnownFields(
  scope: string,
  section: string,
  options: object,
  known: readonly string[],
): void {
  for (const field of Object.keys(options)) {
    if (!known.includes(field)) {
      throw invalidOption(scope, section + field, 'set', `one of ${known.join(', ')}`);
    }
  }
}

/** Throws unless `value` is undefined, `false` or a plain object: the shape of a layer's options. */
export function checkSection(scope: string, field: string, value: unknown): void {
  if (value === undefined || value === false || (typeof value === 'object' && value !== null)) {
    return;
  }
  throw invalidOption(scope, field, value, 'an options object or false');
}

/** Throws unless `value` is undefined or a function. */
export function checkFunction(scope: string, field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw invalidOption(scope, field, value, 'a function');
  }
}

/**
 * A copy of `options` without its undefined fields, to spread over a
 * DEFAULTS object: a field explicitly set to undefined (as spread
 * configuration often yields) means "the default", never "invalid".
 */
export function definedFields<O extends object>(options: O): O {
  const copy: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(options)) {
    if (value !== undefined) copy[field] = value;
  }
  return copy as O;
}
