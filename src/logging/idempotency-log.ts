import { type IdempotencyOutcomeKind, onOutcome } from '../idempotency/outcomes.js';
import { errorType } from '../resilience/error-type.js';
import { Attr } from '../telemetry/attributes.js';
import { Episodes } from './episodes.js';
import type { LogEventsOptions, WriteLine } from './logger.js';

const UNKNOWN = 'bulwark.idempotency.outcome_unknown';
const LEASE_LOST = 'bulwark.idempotency.lease_lost';

/**
 * The idempotency part of `logEvents()`. The store going down is a
 * transition: one error line at the first request it fails, one info line
 * at the first request it serves again (with how many it failed meanwhile).
 * An unknown outcome or a lost lease is per request by nature, so each is an
 * episode: the first one logs, with that request's trace and tenant, and the
 * end of the episode logs how many followed.
 */
export function idempotencyLog(write: WriteLine, options: Required<LogEventsOptions>): () => void {
  let unavailable = 0;
  const episodes = new Episodes<string>(options.quietMs, options.maxEpisodes, (name, count) =>
    write(
      'info',
      { [Attr.EventName]: `${name}.ended`, 'bulwark.requests': count },
      `${describe(name)}: episode over`,
    ),
  );

  function listener(kind: IdempotencyOutcomeKind, error: unknown): void {
    if (kind === 'store_unavailable') {
      if (unavailable++ === 0) {
        write(
          'error',
          {
            [Attr.EventName]: 'bulwark.idempotency.store_unavailable',
            [Attr.ErrorType]: causeType(error),
          },
          'idempotency store unavailable: requests refused with 503, nothing executed',
        );
      }
      return;
    }
    if (kind === 'outcome_unknown' || kind === 'lease_lost') {
      const name = kind === 'outcome_unknown' ? UNKNOWN : LEASE_LOST;
      if (episodes.hit(name, name)) {
        write(
          kind === 'outcome_unknown' ? 'error' : 'warn',
          { [Attr.EventName]: name },
          describe(name),
        );
      }
      // An unknown outcome is a failed write; a lost lease says nothing of the store's health.
      return;
    }
    // The store answered this request's claim: it is back.
    if (unavailable > 0) {
      write(
        'info',
        {
          [Attr.EventName]: 'bulwark.idempotency.store_recovered',
          'bulwark.refused_requests': unavailable,
        },
        'idempotency store available again',
      );
      unavailable = 0;
    }
  }

  const unsubscribe = onOutcome(listener);
  return () => {
    unsubscribe();
    episodes.clear();
  };
}

function describe(name: string): string {
  return name === UNKNOWN
    ? 'idempotency outcome unknown: an operation ran but its response could not be recorded'
    : 'idempotency lease lost: an operation ran while another owner took its key over';
}

function causeType(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return errorType(cause ?? error);
}
