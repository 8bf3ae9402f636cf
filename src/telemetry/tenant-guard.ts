import { createLabelGuard, type LabelGuard } from './label-guard.js';

/** Options of {@link createTenantGuard}. */
export interface TenantGuardOptions {
  /** Most distinct tenant ids this guard lets through as their own label. Default 100. */
  maxTenants?: number;
  /** Tenant ids that always keep their own label (they count towards `maxTenants`). Default none. */
  alwaysKeep?: readonly string[];
}

/** Defaults of {@link TenantGuardOptions}. */
export const TENANT_GUARD_DEFAULTS = {
  maxTenants: 100,
  alwaysKeep: [] as readonly string[],
} as const;

/**
 * Maps a tenant id to the label value a metric may carry: the first
 * `maxTenants` distinct tenants keep their id, every later one is recorded as
 * `other`. First come keeps the label because a metric stream whose label
 * moves between series mid-flight breaks cumulative counters; no measurement
 * is ever dropped, only folded. O(1) per call; memory bounded by `maxTenants`.
 * A tenant whose id is literally `other` shares the overflow series.
 * With `admit` false (a refused request), a tenant not yet kept is recorded
 * as `other` without taking a free slot.
 */
export type TenantGuard = LabelGuard;

/**
 * Creates a {@link TenantGuard}: one per metric, so a busy metric cannot take
 * the tenant slots of another.
 */
export function createTenantGuard(options: TenantGuardOptions = {}): TenantGuard {
  return createLabelGuard(
    'createTenantGuard',
    'maxTenants',
    options.maxTenants ?? TENANT_GUARD_DEFAULTS.maxTenants,
    options.alwaysKeep ?? TENANT_GUARD_DEFAULTS.alwaysKeep,
  );
}
