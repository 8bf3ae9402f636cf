import { invalidOption } from '../errors.js';
import { HTTP_DURATION_BUCKETS_SECONDS } from './http-buckets.js';

/** The share of requests answered without a server error (status below 500). */
export interface AvailabilitySli {
  kind: 'availability';
}

/**
 * The share of requests answered within `thresholdSeconds` (duration ≤ threshold,
 * whatever the status). The threshold must be one of
 * {@link HTTP_DURATION_BUCKETS_SECONDS}, so Prometheus can count it from `le`.
 */
export interface LatencySli {
  kind: 'latency';
  /** The latency threshold, in seconds; one of the histogram bucket bounds. No default. */
  thresholdSeconds: number;
}

/** What a request must do to count as good. */
export type SliOptions = AvailabilitySli | LatencySli;

/**
 * Which requests the SLO counts. Each list given narrows the SLO to requests
 * whose field is in it (lists combine with AND); an absent list matches all.
 */
export interface SloSelector {
  /** Route templates (`/transfers/:id`), matched exactly. Default: every route. */
  routes?: readonly string[];
  /** HTTP methods, case-insensitive. Default: every method. */
  methods?: readonly string[];
  /** Jurisdictions (ISO 3166 codes), case-insensitive. Default: every jurisdiction. */
  jurisdictions?: readonly string[];
  /**
   * Tenant classes (`premium`, `standard`, ...), matched exactly. Default: every class.
   * In process only: the exported HTTP metrics carry no tenant class, so rule
   * generation refuses an SLO that selects on it.
   */
  tenantClasses?: readonly string[];
}

/** Options of `defineSlo()`. */
export interface SloOptions {
  /** Lower-case DNS label (`[a-z0-9-]`, at most 63): a Prometheus label and an OpenSLO name. No default. */
  name: string;
  /** The indicator: availability or latency. No default. */
  sli: SliOptions;
  /** Target share of good events, strictly between 0 and 1 (`0.999`). No default. */
  objective: number;
  /** Rolling window of the objective, in whole days (1 to 90). Default 28. */
  windowDays?: number;
  /** Which requests count. Default: all. */
  selector?: SloSelector;
  /** A human sentence for the OpenSLO description and alert annotations. Default none. */
  description?: string;
  /**
   * Fewest events in the window before the budget can count as exhausted, so
   * that one failure right after start does not trip the hook. Default 100.
   */
  minEventsToExhaust?: number;
  /** The clock, in epoch milliseconds; inject one in tests. Default `Date.now`. */
  now?: () => number;
}

/** Defaults of {@link SloOptions}. */
export const SLO_DEFAULTS = {
  windowDays: 28,
  minEventsToExhaust: 100,
  now: Date.now,
} as const;

/** A selector after validation: upper-cased methods and jurisdictions, as sets. */
export interface ResolvedSelector {
  readonly routes: ReadonlySet<string> | undefined;
  readonly methods: ReadonlySet<string> | undefined;
  readonly jurisdictions: ReadonlySet<string> | undefined;
  readonly tenantClasses: ReadonlySet<string> | undefined;
}

/** {@link SloOptions} validated, with defaults applied. */
export interface ResolvedSloOptions {
  readonly name: string;
  readonly sli: SliOptions;
  readonly objective: number;
  readonly windowDays: number;
  readonly selector: ResolvedSelector;
  readonly description: string | undefined;
  readonly minEventsToExhaust: number;
  readonly now: () => number;
}

const SCOPE = 'defineSlo';
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Validates {@link SloOptions} once, at construction. */
export function resolveSloOptions(options: SloOptions): ResolvedSloOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(SCOPE, 'options', options, 'an object');
  }
  const { name, objective } = options;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidOption(SCOPE, 'name', name, 'a lower-case DNS label ([a-z0-9-], 1-63 chars)');
  }
  if (typeof objective !== 'number' || !(objective > 0 && objective < 1)) {
    throw invalidOption(SCOPE, 'objective', objective, 'a number strictly between 0 and 1');
  }
  const windowDays = options.windowDays ?? SLO_DEFAULTS.windowDays;
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 90) {
    throw invalidOption(SCOPE, 'windowDays', windowDays, 'an integer from 1 to 90');
  }
  const minEventsToExhaust = options.minEventsToExhaust ?? SLO_DEFAULTS.minEventsToExhaust;
  if (!Number.isInteger(minEventsToExhaust) || minEventsToExhaust < 0) {
    throw invalidOption(SCOPE, 'minEventsToExhaust', minEventsToExhaust, 'a non-negative integer');
  }
  const now = options.now ?? SLO_DEFAULTS.now;
  if (typeof now !== 'function') throw invalidOption(SCOPE, 'now', now, 'a function');
  if (options.description !== undefined && typeof options.description !== 'string') {
    throw invalidOption(SCOPE, 'description', options.description, 'a string');
  }
  return {
    name,
    sli: resolveSli(options.sli),
    objective,
    windowDays,
    selector: resolveSelector(options.selector ?? {}),
    description: options.description,
    minEventsToExhaust,
    now,
  };
}

function resolveSli(sli: SliOptions): SliOptions {
  if (sli?.kind === 'availability') return { kind: 'availability' };
  if (sli?.kind !== 'latency') {
    const kind = (sli as { kind?: unknown } | undefined)?.kind;
    throw invalidOption(SCOPE, 'sli.kind', kind, '"availability" or "latency"');
  }
  const bounds: readonly number[] = HTTP_DURATION_BUCKETS_SECONDS;
  if (!bounds.includes(sli.thresholdSeconds)) {
    throw invalidOption(
      SCOPE,
      'sli.thresholdSeconds',
      sli.thresholdSeconds,
      `one of the histogram bucket bounds ${bounds.join(', ')}`,
    );
  }
  return { kind: 'latency', thresholdSeconds: sli.thresholdSeconds };
}

function resolveSelector(selector: SloSelector): ResolvedSelector {
  return {
    routes: toSet(selector.routes, 'selector.routes', false),
    methods: toSet(selector.methods, 'selector.methods', true),
    jurisdictions: toSet(selector.jurisdictions, 'selector.jurisdictions', true),
    tenantClasses: toSet(selector.tenantClasses, 'selector.tenantClasses', false),
  };
}

function toSet(list: unknown, field: string, upper: boolean): ReadonlySet<string> | undefined {
  if (list === undefined) return undefined;
  const valid =
    Array.isArray(list) &&
    list.length > 0 &&
    list.every((value) => typeof value === 'string' && value.length > 0);
  if (!valid) throw invalidOption(SCOPE, field, list, 'a non-empty array of non-empty strings');
  return new Set((list as string[]).map((value) => (upper ? value.toUpperCase() : value)));
}
