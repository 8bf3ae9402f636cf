import { IDEMPOTENCY_OUTCOME_KINDS, outcomeTotals } from '../idempotency/outcomes.js';
import type { Pipeline } from '../resilience/pipeline.js';
import { livePipelines } from '../resilience/registry.js';
import { CounterRing } from './counter-ring.js';

/**
 * The history behind the page's 15-minute charts. One sampler per process,
 * started by the first `statusHandler()`: every 10 s it reads the counters
 * the pipelines and the idempotency engine keep anyway (a few numbers per
 * pipeline) into fixed rings. Nothing runs per request; the timer is unref'd.
 */

/** Width of one history point, in ms. */
export const SAMPLE_INTERVAL_MS = 10_000;
/** Points kept: 15 minutes of 10 s. */
export const HISTORY_POINTS = 90;

const pipelineRings = new WeakMap<Pipeline, CounterRing>();
let outcomeRing: CounterRing | undefined;
let timer: NodeJS.Timeout | undefined;

const countsOf = (pipeline: Pipeline) => {
  const { counts } = pipeline.inspect();
  return [counts.calls, counts.failures];
};
const outcomeCounts = () => IDEMPOTENCY_OUTCOME_KINDS.map((kind) => outcomeTotals[kind]);

/** Starts the sampler once per process; later calls do nothing. */
export function startSampler(): void {
  if (timer !== undefined) return;
  // Pipelines alive now start from their current counts: what they did before is not history.
  for (const pipeline of livePipelines.live()) {
    pipelineRings.set(pipeline, new CounterRing(HISTORY_POINTS, countsOf(pipeline)));
  }
  outcomeRing = new CounterRing(HISTORY_POINTS, outcomeCounts());
  timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  timer.unref();
}

function sample(): void {
  try {
    for (const pipeline of livePipelines.live()) ringOf(pipeline).sample(countsOf(pipeline));
    outcomeRing?.sample(outcomeCounts());
  } catch {
    // A timer must never throw into the process; the next sample catches up.
  }
}

/** A pipeline first seen after the sampler started was created since: its counts all belong to it. */
function ringOf(pipeline: Pipeline): CounterRing {
  let ring = pipelineRings.get(pipeline);
  if (ring === undefined) {
    ring = new CounterRing(HISTORY_POINTS, [0, 0]);
    pipelineRings.set(pipeline, ring);
  }
  return ring;
}

/** A pipeline's calls and failures per 10 s, oldest first, the last point in progress. */
export function pipelineHistory(pipeline: Pipeline): { calls: number[]; failures: number[] } {
  const [calls = [], failures = []] = ringOf(pipeline).series(countsOf(pipeline));
  return { calls, failures };
}

/** Requests per outcome per 10 s, oldest first, the last point in progress; one array per kind. */
export function outcomeHistory(): number[][] {
  outcomeRing ??= new CounterRing(HISTORY_POINTS, outcomeCounts());
  return outcomeRing.series(outcomeCounts());
}
