import { metrics } from '@opentelemetry/api';
import type { Event, IFailureEvent, IPolicy, ISuccessEvent } from 'cockatiel';
import { EventEmitter } from 'cockatiel';
import { type BreakerSnapshot, takeSnapshot } from './breaker-snapshot.js';
import {
  Call,
  type CallEnding,
  endedWith,
  type Layers,
  type ResolvedPipelineOptions,
} from './call.js';
import type { CircuitState } from './circuit-breaker.js';
import { now } from './clock.js';
import type { AttemptContext, ExecuteOptions } from './context.js';
import { type ResilienceEvent, type ResilienceEvents, safeEvent } from './events.js';
import { aborted } from './failures.js';
import { type GaugeSource, watchPipeline } from './gauges.js';
import type { Task } from './inner-policy.js';
import { inspectLayers, type PipelineView } from './inspect.js';
import { livePipelines } from './registry.js';

/**
 * A resilience pipeline, as returned by `resilient(name, options)`.
 *
 * It is also a cockatiel `IPolicy`: `execute(fn, signal)` works, so a
 * pipeline can sit inside cockatiel's `wrap(...)` next to the application's
 * own cockatiel policies.
 */
export interface ResilientPipeline extends IPolicy<AttemptContext>, GaugeSource {
  /** The name given to `resilient(name)`; the `pipeline.name` attribute. */
  readonly name: string;
  /**
   * Runs `fn` through the layers and resolves with its result. `fn` receives
   * `{ signal, attempt }` on each attempt. Rejects with the last attempt's
   * error, or a `BulwarkError` (`BULWARK_DEADLINE_EXCEEDED`,
   * `BULWARK_CIRCUIT_OPEN` with `retryAfterMs`, `BULWARK_BULKHEAD_FULL`,
   * `BULWARK_RETRY_BUDGET_EXHAUSTED`, `BULWARK_RETRY_AFTER_EXCEEDS_DEADLINE`,
   * `BULWARK_ABORTED`) whose `cause` is the underlying error.
   */
  execute<T>(fn: Task<T>, options?: ExecuteOptions | AbortSignal): Promise<T>;
  /** Every resilience event of this pipeline; see {@link ResilienceEvent}. */
  readonly onEvent: Event<ResilienceEvent>;
  /**
   * The breaker state for `key` ('' or omitted: the unkeyed breaker), or
   * undefined if none is live. With a shared breaker, the fleet's state.
   */
  circuitState(key?: string): CircuitState | undefined;
  /**
   * Every breaker key's state and break left, as plain JSON: give it to
   * `resilient(name, { breaker: { initialState } })` in the next process so it
   * starts where this one stopped.
   */
  breakerSnapshot(): BreakerSnapshot;
}

/** See {@link ResilientPipeline}. */
export class Pipeline implements ResilientPipeline {
  /** Virtual property required by cockatiel's `IPolicy` type; never defined. */
  declare readonly _altReturn: never;
  readonly onEvent: Event<ResilienceEvent>;
  private readonly successes = new EventEmitter<ISuccessEvent>();
  private readonly failures = new EventEmitter<IFailureEvent>();
  readonly onSuccess: Event<ISuccessEvent> = safeEvent(this.successes);
  readonly onFailure: Event<IFailureEvent> = safeEvent(this.failures);
  /** The global meter provider when {@link metered} was last asked of the telemetry. */
  private meterProvider: unknown;
  private metered = false;

  constructor(
    private readonly settings: ResolvedPipelineOptions,
    private readonly layers: Layers,
    events: ResilienceEvents,
  ) {
    this.onEvent = events.on;
    const telemetry = layers.telemetry;
    if (telemetry !== undefined) {
      events.on(telemetry.observe);
      watchPipeline(this);
    }
    livePipelines.add(this);
  }

  get name(): string {
    return this.settings.name;
  }

  /**
   * @param ending Internal (`createFetch()`): what the caller makes of the
   *   outcome, run in the call's own last `then` (see {@link CallEnding}).
   *   One method rather than a second one around it: a frame more under the
   *   task is a frame more in every stack trace its errors capture (the
   *   failing path of the `policy` scenario, benchmarks/scenarios/policy.mjs).
   */
  execute<T>(
    fn: Task<T>,
    options?: ExecuteOptions | AbortSignal,
    ending?: CallEnding<T>,
  ): Promise<T> {
    const opts = toOptions(options);
    const signal = opts.signal;
    if (signal?.aborted) return endedWith(aborted(this.settings.name, signal.reason), ending);
    const metered = this.layers.telemetry !== undefined && this.sdkRecords();
    // The call records its own duration when metered; the wrapper serves onSuccess/onFailure.
    const timed = this.successes.size > 0 || this.failures.size > 0;
    // The common case needs no wrapper: no signal to follow, nobody timing the call.
    if (signal === undefined && !timed) {
      return new Call<T>(this.settings, this.layers, fn, opts, metered, ending).run();
    }
    const call = new Call<T>(this.settings, this.layers, fn, opts, metered, undefined);
    return this.observed(call, signal, timed, ending);
  }

  /** A call with a signal to follow or listeners to time it for; `ending` applied after both. */
  private async observed<T>(
    call: Call<T>,
    signal: AbortSignal | undefined,
    timed: boolean,
    ending: CallEnding<T> | undefined,
  ): Promise<T> {
    const startMs = timed ? now() : 0;
    signal?.addEventListener('abort', call);
    let failed = false;
    let outcome: unknown;
    try {
      outcome = await call.run();
      if (timed) this.report(startMs, undefined);
    } catch (error) {
      failed = true;
      outcome = error;
      if (timed) this.report(startMs, error);
    } finally {
      signal?.removeEventListener('abort', call);
    }
    if (!failed) return ending === undefined ? (outcome as T) : ending.deliver(outcome as T);
    if (ending === undefined) throw outcome;
    return ending.fail(outcome);
  }

  /**
   * Whether an OTel SDK records this pipeline's metrics. The telemetry is
   * asked only when the global meter provider changed (an SDK registered):
   * with none, a call runs no telemetry code at all (test/resilience/walk.test.ts).
   */
  private sdkRecords(): boolean {
    const provider = metrics.getMeterProvider();
    if (provider !== this.meterProvider) {
      this.meterProvider = provider;
      this.metered = this.layers.telemetry?.metricsOn() === true;
    }
    return this.metered;
  }

  circuitState(key = ''): CircuitState | undefined {
    return this.layers.breaker?.stateOf(key, now());
  }

  breakerSnapshot(): BreakerSnapshot {
    return this.layers.breaker?.snapshot(now()) ?? takeSnapshot(this.settings.name, []);
  }

  circuitStates(nowMs: number): Iterable<[string, CircuitState]> {
    return this.layers.breaker?.states(nowMs) ?? [];
  }

  bulkheadOccupancy(): number | undefined {
    return this.layers.bulkhead?.occupancy();
  }

  /** A read-only view of the layers and counters, for the status page. */
  inspect(): PipelineView {
    return inspectLayers(this.settings.name, this.settings.counts, this.layers);
  }

  private report(startMs: number, error: unknown): void {
    const duration = now() - startMs;
    if (error === undefined) this.successes.emit({ duration });
    else this.failures.emit({ duration, handled: true, reason: { error: error as Error } });
  }
}

function toOptions(options: ExecuteOptions | AbortSignal | undefined): ExecuteOptions {
  if (options === undefined) return EMPTY;
  // cockatiel's IPolicy passes a bare signal as the second argument.
  if (options instanceof AbortSignal) return { signal: options };
  return options;
}

const EMPTY: ExecuteOptions = Object.freeze({});
