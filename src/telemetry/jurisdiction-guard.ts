import { createLabelGuard, type LabelGuard } from './label-guard.js';

/** Defaults of {@link createJurisdictionGuard}. */
export const JURISDICTION_GUARD_DEFAULTS = {
  /**
   * Most distinct `tenant.jurisdiction` values a metric keeps. The shape alone
   * (ISO 3166-1 alpha-2, optionally an ISO 3166-2 subdivision) admits millions
   * of codes, so validation does not bound the series; this does.
   */
  maxJurisdictions: 100,
} as const;

/**
 * Creates the guard of one metric's `tenant.jurisdiction` label: the first
 * `maxJurisdictions` distinct jurisdictions keep their code, every later one
 * is recorded as `other` (see {@link LabelGuard}). The `alwaysKeep` codes
 * (those an SLO selects on) keep theirs too, on top of `maxJurisdictions`:
 * they come from code, not from requests. One guard per metric, so a busy
 * metric cannot take the slots of another.
 */
export function createJurisdictionGuard(
  maxJurisdictions: number = JURISDICTION_GUARD_DEFAULTS.maxJurisdictions,
  scope = 'createJurisdictionGuard',
  alwaysKeep: readonly string[] = [],
): LabelGuard {
  // Validated alone first: the sum below could hide a negative bound.
  createLabelGuard(scope, 'maxJurisdictions', maxJurisdictions, []);
  const pinned = new Set(alwaysKeep);
  return createLabelGuard(scope, 'maxJurisdictions', maxJurisdictions + pinned.size, [...pinned]);
}
