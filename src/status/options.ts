import { invalidOption } from '../errors.js';
import type { ResilientPipeline } from '../resilience/pipeline.js';
import type { Slo } from '../slo/define-slo.js';

/** Options of `statusHandler()`. */
export interface StatusOptions {
  /**
   * Show tenant ids: keys of layers keyed by tenant (`keyBy: keyByTenant`)
   * are listed as `null` unless this is true. Default false.
   */
  showTenants?: boolean;
  /** Keys listed per layer of each pipeline, worst first; the rest are summarised. Default 20. */
  maxKeys?: number;
  /** Pipelines listed; the rest are counted in `pipelinesOmitted`. Default 50. */
  maxPipelines?: number;
  /** SLOs listed; the rest are counted in `slosOmitted`. Default 50. */
  maxSlos?: number;
  /** Which pipelines to show. Default: every live `resilient()` pipeline of the process. */
  pipelines?: readonly ResilientPipeline[];
  /** Which SLOs to show. Default: every live `defineSlo()` SLO of the process. */
  slos?: readonly Slo[];
  /** How often the live page receives an update, in ms. Default 1_000. */
  updateIntervalMs?: number;
  /** Live update streams open at once, over all clients; beyond it 503. Default 8. */
  maxStreams?: number;
  /** The page's title. Default `'bulwark status'`. */
  title?: string;
}

/** Defaults of {@link StatusOptions}. */
export const STATUS_DEFAULTS = {
  showTenants: false,
  maxKeys: 20,
  maxPipelines: 50,
  maxSlos: 50,
  updateIntervalMs: 1_000,
  maxStreams: 8,
  title: 'bulwark status',
} as const;

/** {@link StatusOptions} validated, with defaults applied. */
export interface ResolvedStatusOptions {
  readonly showTenants: boolean;
  readonly maxKeys: number;
  readonly maxPipelines: number;
  readonly maxSlos: number;
  readonly pipelines: readonly ResilientPipeline[] | undefined;
  readonly slos: readonly Slo[] | undefined;
  readonly updateIntervalMs: number;
  readonly maxStreams: number;
  readonly title: string;
}

const SCOPE = 'statusHandler';
const FIELDS = [...Object.keys(STATUS_DEFAULTS), 'pipelines', 'slos'];

/** Validates {@link StatusOptions} once, at construction; the errors name the field. */
export function resolveStatusOptions(options: StatusOptions): ResolvedStatusOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption(SCOPE, 'options', options, 'an options object');
  }
  for (const field of Object.keys(options)) {
    if (!FIELDS.includes(field))
      throw invalidOption(SCOPE, field, 'set', `one of ${FIELDS.join(', ')}`);
  }
  const o = { ...STATUS_DEFAULTS, ...definedFields(options) };
  if (typeof o.showTenants !== 'boolean') {
    throw invalidOption(SCOPE, 'showTenants', o.showTenants, 'a boolean');
  }
  if (typeof o.title !== 'string' || o.title.length === 0 || o.title.length > 200) {
    throw invalidOption(SCOPE, 'title', o.title, 'a string of 1 to 200 characters');
  }
  return {
    showTenants: o.showTenants,
    maxKeys: integer('maxKeys', o.maxKeys, 1, 1_000),
    maxPipelines: integer('maxPipelines', o.maxPipelines, 1, 1_000),
    maxSlos: integer('maxSlos', o.maxSlos, 1, 1_000),
    pipelines: list('pipelines', options.pipelines, 'inspect'),
    slos: list('slos', options.slos, 'snapshot'),
    updateIntervalMs: integer('updateIntervalMs', o.updateIntervalMs, 250, 60_000),
    maxStreams: integer('maxStreams', o.maxStreams, 1, 1_000),
    title: o.title,
  };
}

function integer(field: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalidOption(SCOPE, field, value, `an integer from ${min} to ${max}`);
  }
  return value as number;
}

function list<T>(field: string, value: readonly T[] | undefined, method: string) {
  if (value === undefined) return undefined;
  const ok =
    Array.isArray(value) &&
    value.every((item) => typeof (item as Record<string, unknown>)?.[method] === 'function');
  if (!ok) {
    const what = field === 'pipelines' ? 'resilient() pipelines' : 'defineSlo() SLOs';
    throw invalidOption(SCOPE, field, value, `an array of ${what}`);
  }
  return [...value];
}

function definedFields<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
