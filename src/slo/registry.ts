import { LiveSet } from '../live-set.js';
import type { Slo } from './define-slo.js';

/**
 * Every live SLO of the process (see {@link LiveSet}): the status page reads
 * them, the event logger taps their budget-exhausted hook. An SLO joins when
 * `defineSlo()` creates it.
 */
export const liveSlos = new LiveSet<Slo>();
