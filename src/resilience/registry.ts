import { LiveSet } from '../live-set.js';
import type { Pipeline } from './pipeline.js';

/**
 * Every live `resilient()` pipeline of the process (see {@link LiveSet}):
 * the status page reads them, the event logger taps them. A pipeline joins
 * in its constructor.
 */
export const livePipelines = new LiveSet<Pipeline>();
