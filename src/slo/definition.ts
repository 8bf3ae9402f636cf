import type { ResolvedSloOptions, SliOptions, SloSelector } from './options.js';

/** An SLO as declared, with defaults applied: what the rule generators read. */
export interface SloDefinition {
  /** The SLO's name. */
  readonly name: string;
  /** The indicator. */
  readonly sli: SliOptions;
  /** The objective, strictly between 0 and 1. */
  readonly objective: number;
  /** The rolling window, in days. */
  readonly windowDays: number;
  /** The selector, methods and jurisdictions upper-cased; absent lists left out. */
  readonly selector: SloSelector;
  /** The description, when one was given. */
  readonly description: string | undefined;
}

/** The plain, serialisable definition of validated options. */
export function toDefinition(options: ResolvedSloOptions): SloDefinition {
  const { routes, methods, jurisdictions, tenantClasses } = options.selector;
  const selector: SloSelector = {
    ...(routes && { routes: [...routes] }),
    ...(methods && { methods: [...methods] }),
    ...(jurisdictions && { jurisdictions: [...jurisdictions] }),
    ...(tenantClasses && { tenantClasses: [...tenantClasses] }),
  };
  const { name, sli, objective, windowDays, description } = options;
  return { name, sli, objective, windowDays, selector, description };
}
