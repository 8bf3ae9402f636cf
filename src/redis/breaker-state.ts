import { BulwarkError, ErrorCode, invalidOption } from '../errors.js';
import type {
  FleetBreakerState,
  SharedBreakerListener,
  SharedBreakerState,
} from '../resilience/shared-state.js';
import { checkNumber, definedFields } from '../resilience/validate.js';
import { type ChannelOwner, PipelineChannel } from './breaker-channel.js';
import { BreakerSubscription } from './breaker-subscription.js';
import { type LuaScript, type RedisScriptClient, type RunScript, scriptRunner } from './client.js';
import { isSubscriber, type RedisSubscriber } from './subscriber.js';

/** Options of {@link RedisBreakerState}. */
export interface RedisBreakerStateOptions {
  /**
   * The application's connected client for commands (Lua scripts): ioredis 5/6
   * or node-redis 5/6, plain or cluster. Required. Make it fail fast while
   * Redis is down (ioredis `enableOfflineQueue: false`; node-redis
   * `disableOfflineQueue: true`): a write queued offline would run late.
   */
  readonly client: RedisScriptClient;
  /**
   * A second connection, given to this state alone, on which it subscribes to
   * the fleet's transitions: ioredis `client.duplicate()`, node-redis
   * `client.duplicate()` then `await subscriber.connect()`. Default none: the
   * state is polled every `pollIntervalMs` instead.
   */
  readonly subscriber?: RedisSubscriber;
  /** Prefix of every key and of the channel. Default `'bulwark:breaker:'`. */
  readonly keyPrefix?: string;
  /**
   * How long the fleet's single half-open probe is reserved for the process
   * that took it, in ms: at least the attempt timeout, so the probe can finish.
   * If that process dies, another probes after it. Default 10_000.
   */
  readonly probeLeaseMs?: number;
  /** How long a tripped or closed record lives after its last write, in ms. Default 3_600_000. */
  readonly stateTtlMs?: number;
  /** The most a read or write may take before the breakers decide alone, in ms. Default 500. */
  readonly timeoutMs?: number;
  /** How often the state is read while it is not pushed (no subscriber, or it dropped), in ms. Default 500. */
  readonly pollIntervalMs?: number;
  /** Told when Redis stops answering (once per outage) or answers nonsense. Default none. */
  readonly onError?: (error: BulwarkError) => void;
}

/** Defaults of {@link RedisBreakerStateOptions}. */
export const REDIS_BREAKER_STATE_DEFAULTS = {
  keyPrefix: 'bulwark:breaker:',
  probeLeaseMs: 10_000,
  stateTtlMs: 3_600_000,
  timeoutMs: 500,
  pollIntervalMs: 500,
} as const;

const SCOPE = 'RedisBreakerState';

/**
 * Circuit breakers shared by every process of a fleet through Redis:
 * `resilient(name, { breaker: { shared: new RedisBreakerState({ client, subscriber }) } })`.
 * Transitions are written by Lua scripts and published; calls on a closed or
 * open breaker never reach Redis. While Redis is down or slower than
 * `timeoutMs`, each breaker decides alone; when it answers again, local
 * transitions are pushed and the fleet's state read back.
 */
export class RedisBreakerState implements SharedBreakerState, ChannelOwner {
  readonly keyPrefix: string;
  readonly channel: string;
  readonly probeLeaseMs: number;
  readonly stateTtlMs: number;
  readonly #run: RunScript;
  readonly #timeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #subscription: BreakerSubscription | undefined;
  readonly #onError: ((error: BulwarkError) => void) | undefined;
  readonly #channels = new Set<PipelineChannel>();
  #up = true;
  #started: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: RedisBreakerStateOptions) {
    const run = options?.client ? scriptRunner(options.client) : undefined;
    if (run === undefined) {
      throw invalidOption(SCOPE, 'client', options?.client, 'an ioredis or node-redis client');
    }
    const { subscriber, onError } = options;
    if (
      subscriber !== undefined &&
      (!isSubscriber(subscriber) || Object.is(subscriber, options.client))
    ) {
      throw invalidOption(
        SCOPE,
        'subscriber',
        subscriber,
        'a dedicated ioredis or node-redis connection',
      );
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw invalidOption(SCOPE, 'onError', onError, 'a function');
    }
    const o = { ...REDIS_BREAKER_STATE_DEFAULTS, ...definedFields(options) };
    if (typeof o.keyPrefix !== 'string')
      throw invalidOption(SCOPE, 'keyPrefix', o.keyPrefix, 'a string');
    this.keyPrefix = o.keyPrefix;
    this.channel = `${o.keyPrefix}events`;
    this.probeLeaseMs = checkNumber(SCOPE, 'probeLeaseMs', o.probeLeaseMs, 1, 86_400_000, true);
    this.stateTtlMs = checkNumber(SCOPE, 'stateTtlMs', o.stateTtlMs, 1_000, 2_592_000_000, true);
    this.#timeoutMs = checkNumber(SCOPE, 'timeoutMs', o.timeoutMs, 1, 60_000);
    this.#pollIntervalMs = checkNumber(SCOPE, 'pollIntervalMs', o.pollIntervalMs, 10, 3_600_000);
    this.#run = run;
    this.#onError = onError;
    this.#subscription =
      subscriber &&
      new BreakerSubscription(subscriber, this.channel, this.#timeoutMs, {
        message: this.#onMessage,
        resumed: this.#onResumed,
        lost: (error) => this.#failed(error),
        failed: (error) => this.#report(error),
      });
  }

  /** False while Redis is unreachable: the breakers then decide alone. */
  get up(): boolean {
    return this.#up;
  }

  /** Attaches a pipeline (called by `resilient()`); see `SharedBreakerState`. */
  attach(pipeline: string, listener: SharedBreakerListener): PipelineChannel {
    for (const old of this.#channels) if (old.receiver === undefined) this.#channels.delete(old);
    const channel = new PipelineChannel(this, pipeline, listener);
    this.#channels.add(channel);
    this.#started ??= this.#start();
    channel.loaded = this.#started.then(() => this.#load(channel)).catch(() => undefined);
    return channel;
  }

  /**
   * Resolves once every pipeline attached so far has read the fleet's state
   * (or failed to, within `timeoutMs`): await it before serving, so the first
   * calls already see a break the fleet is in.
   */
  async ready(): Promise<void> {
    await Promise.all([...this.#channels].map((channel) => channel.loaded));
  }

  /** Stops polling and delivering; the connections stay open (they are the application's). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#channels.clear();
  }

  detach(channel: PipelineChannel): void {
    this.#channels.delete(channel);
  }

  async run(op: string, script: LuaScript, keys: string[], args: string[]): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([this.#run(script, keys, args), timeout]);
      this.#answered();
      return reply;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const failure = new BulwarkError(
        ErrorCode.BreakerStateUnavailable,
        `${SCOPE}: ${op} failed: ${reason}`,
        { cause: error },
      );
      this.#failed(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  async #start(): Promise<void> {
    this.#schedule();
    await this.#subscription?.ensure();
  }

  async #load(channel: PipelineChannel): Promise<void> {
    const states = await channel.load();
    deliver(() => channel.receiver?.update(states, 'sync'));
  }

  /** Reads every pipeline's state again; a failure has been recorded by run(). */
  async #syncAll(): Promise<void> {
    const loads = [...this.#channels].map((channel) => {
      if (channel.receiver === undefined) this.#channels.delete(channel);
      return this.#load(channel);
    });
    await Promise.allSettled(loads);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(this.#tick, this.#pollIntervalMs);
    this.#timer.unref?.();
  }

  /** The poll: only while the state is not pushed, or Redis is not answering. */
  readonly #tick = async (): Promise<void> => {
    try {
      await this.#subscription?.ensure();
      if (this.#subscription?.live !== true || !this.#up) await this.#syncAll();
    } finally {
      this.#schedule();
    }
  };

  /** Messages flow (again): what was published meanwhile is read back. */
  readonly #onResumed = (): void => {
    if (this.#closed) return;
    // ioredis resubscribes just after 'ready': read now, and once more a little later.
    void this.#syncAll();
    setTimeout(() => void this.#syncAll(), this.#pollIntervalMs).unref?.();
  };

  readonly #onMessage = (message: string): void => {
    const update = parseMessage(message);
    if (update === undefined) return;
    for (const channel of this.#channels) {
      if (channel.pipeline !== update.pipeline || channel.token === update.origin) continue;
      deliver(() => channel.receiver?.update([update.state], 'message'));
    }
  };

  #answered(): void {
    if (this.#up) return;
    this.#up = true;
    for (const channel of this.#channels) deliver(() => channel.receiver?.reconnected());
    void this.#syncAll();
  }

  #failed(error: BulwarkError): void {
    if (!this.#up) return;
    this.#up = false;
    this.#report(error);
  }

  #report(error: BulwarkError): void {
    try {
      this.#onError?.(error);
    } catch {
      // A throwing error handler must not break the state.
    }
  }
}

/** Calls into a pipeline from a client's event or a timer: a throw there must not crash the process. */
function deliver(call: () => void): void {
  try {
    call();
  } catch {
    // The pipeline's own state is unaffected; the next sync delivers again.
  }
}

/** A published transition, or undefined when the message is not one. */
function parseMessage(message: string) {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(message) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { p, k, s, e, ms, o } = m;
  if (typeof p !== 'string' || typeof k !== 'string' || typeof o !== 'string') return undefined;
  if (s !== 'open' && s !== 'half_open' && s !== 'closed') return undefined;
  if (typeof e !== 'number' || typeof ms !== 'number') return undefined;
  const state: FleetBreakerState = { key: k, state: s, epoch: e, remainingMs: Math.max(0, ms) };
  return { pipeline: p, origin: o, state };
}
