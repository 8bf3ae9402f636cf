import { type Event, EventEmitter } from 'cockatiel';

/**
 * What the resilience layers report. Layers only emit; the telemetry
 * observer (and any listener of `onEvent`) turns events into metrics, span
 * events or logs, so policies stay free of wiring. The telemetry observer
 * subscribes to every pipeline unless `telemetry: false`, so an event is
 * normally delivered; only such a pipeline with no `onEvent` listener skips
 * building the event object.
 */

/** The names of resilience events, as they appear in the `event.name` attribute. */
export const ResilienceEventName = {
  Retry: 'retry',
  AttemptTimeout: 'attempt_timeout',
  DeadlineExceeded: 'deadline_exceeded',
  CircuitOpened: 'circuit_opened',
  CircuitHalfOpened: 'circuit_half_opened',
  CircuitClosed: 'circuit_closed',
  CircuitRejected: 'circuit_rejected',
  BulkheadRejected: 'bulkhead_rejected',
  RetryBudgetExhausted: 'retry_budget_exhausted',
} as const;

/** One of the {@link ResilienceEventName} values. */
export type ResilienceEventNameValue =
  (typeof ResilienceEventName)[keyof typeof ResilienceEventName];

/**
 * Where a breaker transition was decided: `local` by this process's own
 * calls, `fleet` by another instance sharing the breaker (see
 * `BreakerOptions.shared`), received through the shared state.
 */
export type BreakerOrigin = 'local' | 'fleet';

/**
 * One resilience event. Emitted synchronously inside the call it concerns,
 * except a breaker transition received from the fleet, which arrives outside
 * any call (no tenant, no active span).
 */
export interface ResilienceEvent {
  /** What happened. */
  readonly name: ResilienceEventNameValue;
  /** The pipeline's name, as given to `resilient(name)`. */
  readonly pipeline: string;
  /** The breaker, budget or bulkhead key concerned, when keyed. */
  readonly key: string | undefined;
  /** The attempt number (1 = first try) in progress or just ended; 0 before the first attempt. */
  readonly attempt: number;
  /** The error behind the event, when there is one. */
  readonly error?: unknown;
  /** For `retry`: the delay before the next attempt, in milliseconds. */
  readonly delayMs?: number;
  /** For breaker transitions (`circuit_opened`, `circuit_half_opened`, `circuit_closed`): who decided it. */
  readonly origin?: BreakerOrigin;
}

/** Emits resilience events to listeners; see {@link ResilienceEvent}. */
export class ResilienceEvents {
  private readonly emitter = new EventEmitter<ResilienceEvent>();
  /**
   * Subscribes a listener; returns a disposable that unsubscribes it. A
   * listener that throws is ignored, so one bad listener neither breaks the
   * call nor keeps the event from the next listener.
   */
  readonly on: Event<ResilienceEvent> = safeEvent(this.emitter);

  constructor(readonly pipeline: string) {}

  /** Emits an event to every listener, synchronously, in the caller's async context. */
  emit(
    name: ResilienceEventNameValue,
    key: string | undefined,
    attempt: number,
    error?: unknown,
    delayMs?: number,
    origin?: BreakerOrigin,
  ): void {
    if (this.emitter.size === 0) return;
    this.emitter.emit({ name, pipeline: this.pipeline, key, attempt, error, delayMs, origin });
  }
}

/**
 * The subscribe function of `emitter`, wrapping each listener so that a
 * throwing listener is ignored: observation never breaks a call.
 */
export function safeEvent<T>(emitter: EventEmitter<T>): Event<T> {
  return function subscribe(listener) {
    return emitter.addListener(function safeListener(data) {
      try {
        listener(data);
      } catch {
        // Observation never breaks a call.
      }
    });
  };
}
