import type { LiveSet } from '../live-set.js';
import { errorType } from '../resilience/error-type.js';
import { type ResilienceEvent, ResilienceEventName } from '../resilience/events.js';
import type { Pipeline } from '../resilience/pipeline.js';
import { Attr } from '../telemetry/attributes.js';
import { Episodes } from './episodes.js';
import type { LogEventsOptions, WriteLine } from './logger.js';

/** What a resilience line is about. */
type About = Record<string, unknown>;

/**
 * The resilience part of `logEvents()`: breaker transitions as they happen,
 * bulkhead rejections and spent retry budgets as episodes (first rejection,
 * then the end with its count). Listens on every pipeline's events.
 */
export function resilienceLog(
  pipelines: LiveSet<Pipeline>,
  write: WriteLine,
  options: Required<LogEventsOptions>,
): () => void {
  const rejecting = new Episodes<About>(options.quietMs, options.maxEpisodes, (about, count) =>
    write(
      'info',
      { ...about, [Attr.EventName]: 'bulwark.bulkhead.recovered', 'bulwark.rejected_calls': count },
      'bulkhead stopped rejecting calls',
    ),
  );
  const spent = new Episodes<About>(options.quietMs, options.maxEpisodes, (about, count) =>
    write(
      'info',
      {
        ...about,
        [Attr.EventName]: 'bulwark.retry_budget.recovered',
        'bulwark.refused_retries': count,
      },
      'retry budget refilled',
    ),
  );

  function listener(event: ResilienceEvent): void {
    switch (event.name) {
      case ResilienceEventName.CircuitOpened:
        write('warn', fieldsOf(event, 'bulwark.circuit.opened'), 'circuit breaker opened');
        return;
      case ResilienceEventName.CircuitClosed:
        write('info', fieldsOf(event, 'bulwark.circuit.closed'), 'circuit breaker closed');
        return;
      case ResilienceEventName.BulkheadRejected: {
        const about = aboutOf(event);
        if (rejecting.hit(idOf(event), about)) {
          write(
            'warn',
            fieldsOf(event, 'bulwark.bulkhead.rejecting'),
            'bulkhead full: rejecting calls',
          );
        }
        return;
      }
      case ResilienceEventName.RetryBudgetExhausted: {
        const about = aboutOf(event);
        if (spent.hit(idOf(event), about)) {
          write(
            'warn',
            fieldsOf(event, 'bulwark.retry_budget.exhausted'),
            'retry budget exhausted: retries refused',
          );
        }
        return;
      }
      default:
    }
  }

  const untap = pipelines.tap((pipeline) => {
    const subscription = pipeline.onEvent(listener);
    return () => subscription.dispose();
  });
  return () => {
    untap();
    rejecting.clear();
    spent.clear();
  };
}

function idOf(event: ResilienceEvent): string {
  return `${event.pipeline}\u0000${event.key ?? ''}`;
}

function aboutOf(event: ResilienceEvent): About {
  const about: About = { [Attr.PipelineName]: event.pipeline };
  if (event.key !== undefined) about[Attr.ResilienceKey] = event.key;
  return about;
}

function fieldsOf(event: ResilienceEvent, name: string): Record<string, unknown> {
  const fields = aboutOf(event);
  fields[Attr.EventName] = name;
  if (event.error !== undefined) fields[Attr.ErrorType] = errorType(event.error);
  return fields;
}
