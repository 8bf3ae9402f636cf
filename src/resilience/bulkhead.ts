import type { Call } from './call.js';
import type { ExecuteOptions } from './context.js';
import { ResilienceEventName, type ResilienceEvents } from './events.js';
import { bulkheadFull } from './failures.js';
import { type KeyedEntry, KeyedRegistry } from './keyed-registry.js';
import { checkFunction, checkKnownFields, checkNumber, definedFields } from './option-checks.js';
import { type Waiter, WaitQueue } from './wait-queue.js';

/** Options of the bulkhead layer (`resilient(name, { bulkhead })`). */
export interface BulkheadOptions {
  /** Calls running at once (a call holds its slot across its retries). Default 1_000. */
  maxConcurrent?: number;
  /** Calls waiting for a slot; beyond it a call is rejected at once. Default 100. */
  maxQueued?: number;
  /** Longest wait for a slot, in ms, before a `BULWARK_BULKHEAD_FULL` rejection. Default 1_000. */
  queueTimeoutMs?: number;
  /**
   * Which bulkhead a call uses, e.g. {@link keyByTenant} for one per tenant.
   * Default: one bulkhead for the pipeline.
   */
  keyBy?: (options: ExecuteOptions) => string | undefined;
  /**
   * Most keys with a bulkhead at once. Beyond it a new key takes the slot of
   * the least recently used idle bulkhead; a bulkhead with calls running or
   * queued is never dropped, and when every one is busy the new key's call is
   * refused with `BULWARK_BULKHEAD_FULL`. Default 1_000.
   */
  maxKeys?: number;
}

/** Defaults of {@link BulkheadOptions}. */
export const BULKHEAD_DEFAULTS = {
  maxConcurrent: 1_000,
  maxQueued: 100,
  queueTimeoutMs: 1_000,
  maxKeys: 1_000,
} as const;

const FIELDS = [...Object.keys(BULKHEAD_DEFAULTS), 'keyBy'];

/** Bulkhead options validated once, at construction ({@link resolveBulkheadOptions}). */
export interface ResolvedBulkheadOptions {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  readonly queueTimeoutMs: number;
  readonly maxKeys: number;
  readonly keyBy: ((options: ExecuteOptions) => string | undefined) | undefined;
}

/** Validates bulkhead options at construction; the errors name the field. */
export function resolveBulkheadOptions(
  scope: string,
  options: BulkheadOptions,
): ResolvedBulkheadOptions {
  checkKnownFields(scope, 'bulkhead.', options, FIELDS);
  const o = { ...BULKHEAD_DEFAULTS, ...definedFields(options) };
  const maxConcurrent = checkNumber(scope, 'bulkhead.maxConcurrent', o.maxConcurrent, 1, 1e9, true);
  const maxQueued = checkNumber(scope, 'bulkhead.maxQueued', o.maxQueued, 0, 1e9, true);
  const queueTimeoutMs = checkNumber(
    scope,
    'bulkhead.queueTimeoutMs',
    o.queueTimeoutMs,
    1,
    3_600_000,
  );
  const maxKeys = checkNumber(scope, 'bulkhead.maxKeys', o.maxKeys, 1, 1e6, true);
  checkFunction(scope, 'bulkhead.keyBy', o.keyBy);
  return { maxConcurrent, maxQueued, queueTimeoutMs, maxKeys, keyBy: o.keyBy };
}

/** One bulkhead: a counter of running calls and a queue of waiting ones. */
export class Bulkhead implements KeyedEntry {
  active = 0;
  private readonly queue = new WaitQueue();

  constructor(
    private readonly settings: ResolvedBulkheadOptions,
    private readonly events: ResilienceEvents,
    private readonly key: string | undefined,
  ) {}

  /** Takes a slot: undefined when one was free, a promise while queued; throws when full. */
  acquire(call: Call<unknown>): Promise<void> | undefined {
    if (this.active < this.settings.maxConcurrent) {
      this.active++;
      return undefined;
    }
    if (this.queue.length >= this.settings.maxQueued) throw this.reject('queue full');
    return this.enqueue(call);
  }

  /** Gives the slot back, handing it straight to the first waiter if any. */
  release(): void {
    // The queue is asked only when someone waits: an uncontended call never leaves this file.
    if (this.queue.length === 0) this.active--;
    else this.queue.shift()!.grant();
  }

  /** Calls running plus calls queued. */
  get occupancy(): number {
    return this.active + this.queue.length;
  }

  /** Busy bulkheads are never evicted: forgetting one would forget its running calls. */
  isLive(): boolean {
    return this.active > 0 || this.queue.length > 0;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  private enqueue(call: Call<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = this.queue.push(() => {
        clearTimeout(timer);
        call.doneWaiting();
        resolve();
      });
      const timer = setTimeout(() => {
        this.queue.remove(waiter);
        call.doneWaiting();
        reject(this.reject('queue wait timed out'));
      }, this.settings.queueTimeoutMs);
      // An aborted waiter leaves the queue at once (O(1)), keeping no slot.
      call.waitingOn((error) => {
        clearTimeout(timer);
        this.queue.remove(waiter);
        reject(error);
      });
    });
  }

  private reject(why: string): Error {
    const error = bulkheadFull(this.events.pipeline, why);
    this.events.emit(ResilienceEventName.BulkheadRejected, this.key, 0, error);
    return error;
  }
}

/** The bulkhead layer of one pipeline: one bulkhead per key, at most `maxKeys` of them. */
export class BulkheadLayer {
  /** The validated settings every bulkhead of this layer runs with. */
  readonly settings: ResolvedBulkheadOptions;
  private readonly registry: KeyedRegistry<Bulkhead>;
  /** Which bulkhead a call uses; read by the status page to tell tenant keys. */
  readonly keyBy: ((options: ExecuteOptions) => string | undefined) | undefined;
  private readonly events: ResilienceEvents;

  constructor(scope: string, options: BulkheadOptions, events: ResilienceEvents) {
    const settings = resolveBulkheadOptions(scope, options);
    this.settings = settings;
    this.keyBy = settings.keyBy;
    this.events = events;
    this.registry = new KeyedRegistry(settings.maxKeys, (key) => {
      return new Bulkhead(settings, events, key === '' ? undefined : key);
    });
  }

  /** The bulkhead a call uses; throws `BULWARK_BULKHEAD_FULL` when its key is new and every bulkhead is busy. */
  bulkheadFor(options: ExecuteOptions): Bulkhead {
    const key = this.keyBy?.(options) ?? '';
    const registry = this.registry;
    const bulkhead = key === '' ? (registry.unkeyed ?? registry.get(key)) : registry.get(key);
    if (bulkhead !== undefined) return bulkhead;
    const error = bulkheadFull(this.events.pipeline, `all ${this.registry.maxKeys} keys busy`);
    this.events.emit(ResilienceEventName.BulkheadRejected, key === '' ? undefined : key, 0, error);
    throw error;
  }

  /** Every live bulkhead by key, least recently used first, for the status page. */
  entries(): IterableIterator<[string, Bulkhead]> {
    return this.registry.entriesView();
  }

  /** How many keys have a live bulkhead. */
  get size(): number {
    return this.registry.size;
  }

  /** Calls running or queued over every live bulkhead, for the occupancy gauge. */
  occupancy(): number {
    let total = 0;
    for (const [, bulkhead] of this.registry.entriesView()) total += bulkhead.occupancy;
    return total;
  }
}
