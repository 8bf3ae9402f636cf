import { type Attributes, trace } from '@opentelemetry/api';
import { Attr, Metric } from '../telemetry/attributes.js';
import { lazyInstruments } from '../telemetry/instruments.js';
import { createJurisdictionGuard } from '../telemetry/jurisdiction-guard.js';
import { createTalliedCounter } from '../telemetry/tallied-counter.js';
import { getTenant } from '../tenant/context.js';

/**
 * How one request through idempotency ended, as recorded on metrics and spans
 * (never the key). The same words as the engine's outcomes, plus `rejected`
 * (a bad key or body: nothing claimed) and `store_unavailable`.
 */
export type IdempotencyOutcomeLabel =
  | 'executed'
  | 'replayed'
  | 'in_flight'
  | 'mismatch'
  | 'rejected'
  | 'store_unavailable';

// Counted in process and collected as an observable counter: one request, one
// Map increment (see `createTalliedCounter`). Re-created with each meter
// provider, so a new provider counts from zero, as a new counter would.
const instruments = lazyInstruments((meter) => ({
  requests: createTalliedCounter(meter, Metric.IdempotencyRequests, {
    description: 'Requests seen by the idempotency middleware, by outcome',
    unit: '{request}',
  }),
}));

/**
 * The jurisdiction label of the outcome counter, bounded like every label taken
 * from a request; only requests that were served (executed or replayed) may
 * take a free slot, so refused ones cannot fill the slots with made-up codes.
 */
const jurisdictionLabel = createJurisdictionGuard();

/**
 * The attribute set of each outcome and jurisdiction label, built once and
 * reused for every request: bounded by the outcomes times the jurisdiction
 * guard's slots (the http-server benchmark records one per request). Found
 * by outcome, then jurisdiction ({@link NO_JURISDICTION} for none), in nested Maps: a key
 * joining the two was a new string to build and hash on every request.
 */
const attributeSets = new Map<IdempotencyOutcomeLabel, Map<string, Attributes>>();

/** The key of no jurisdiction label: no code a guard passes (codes are letters, or `other`). */
const NO_JURISDICTION = '\u0000';

function attributesOf(outcome: IdempotencyOutcomeLabel, jurisdiction: string | undefined) {
  let byJurisdiction = attributeSets.get(outcome);
  if (byJurisdiction === undefined) {
    byJurisdiction = new Map();
    attributeSets.set(outcome, byJurisdiction);
  }
  const key = jurisdiction ?? NO_JURISDICTION;
  let attributes = byJurisdiction.get(key);
  if (attributes === undefined) {
    attributes = Object.freeze(
      jurisdiction === undefined
        ? { [Attr.IdempotencyOutcome]: outcome }
        : { [Attr.IdempotencyOutcome]: outcome, [Attr.TenantJurisdiction]: jurisdiction },
    );
    byJurisdiction.set(key, attributes);
  }
  return attributes;
}

/** Counts one request and stamps its outcome on the active span. Never throws. */
export function recordOutcome(outcome: IdempotencyOutcomeLabel): void {
  try {
    const served = outcome === 'executed' || outcome === 'replayed';
    const jurisdiction = jurisdictionLabel(getTenant()?.jurisdiction, served);
    instruments().requests.add(attributesOf(outcome, jurisdiction));
    trace.getActiveSpan()?.setAttribute(Attr.IdempotencyOutcome, outcome);
  } catch {
    // Telemetry observes; it never breaks the request.
  }
}
