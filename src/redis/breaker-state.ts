import { BulwarkError, ErrorCode } from '../errors.js';
import type { SharedBreakerListener, SharedBreakerState } from '../resilience/shared-state.js';
import { type ChannelOwner, PipelineChannel } from './breaker-channel.js';
import { type RedisBreakerStateOptions, resolveOptions } from './breaker-state-options.js';
import { BreakerSubscription, type PublishedTransition } from './breaker-subscription.js';
import type { LuaScript, RunScript } from './client.js';

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
    const o = resolveOptions(options);
    this.keyPrefix = o.keyPrefix;
    this.channel = `${o.keyPrefix}events`;
    this.probeLeaseMs = o.probeLeaseMs;
    this.stateTtlMs = o.stateTtlMs;
    this.#timeoutMs = o.timeoutMs;
    this.#pollIntervalMs = o.pollIntervalMs;
    const { run, subscriber, onError } = o;
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

  readonly #onMessage = (update: PublishedTransition): void => {
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
