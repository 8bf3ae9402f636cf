import { createHash, randomUUID } from 'node:crypto';
import { BulwarkError, ErrorCode } from '../errors.js';
import type {
  FleetBreakerState,
  SharedBreakerChannel,
  SharedBreakerListener,
} from '../resilience/shared-state.js';
import { CLOSE, LOAD, PROBE, TRIP } from './breaker-scripts.js';
import type { LuaScript } from './client.js';

/** What a pipeline's channel asks of its `RedisBreakerState`. */
export interface ChannelOwner {
  readonly up: boolean;
  readonly keyPrefix: string;
  readonly channel: string;
  readonly probeLeaseMs: number;
  readonly stateTtlMs: number;
  /** Runs a script within the timeout, keeping the health flag; rejects with a BulwarkError. */
  run(op: string, script: LuaScript, keys: string[], args: string[]): Promise<unknown>;
  detach(channel: PipelineChannel): void;
}

/** The most keys one load returns: a bound on a reply, whatever the fleet wrote. */
const LOAD_LIMIT = 10_000;
const STATES = new Set(['open', 'half_open', 'closed', 'won']);

/**
 * One pipeline's attachment to a `RedisBreakerState`: its keys (see
 * breaker-scripts.ts for their layout), its token (the probe lease holder's
 * name and the origin of what it publishes), and its listener, held weakly so
 * that a pipeline the application drops is not kept alive by the state.
 */
export class PipelineChannel implements SharedBreakerChannel {
  readonly token = randomUUID();
  /** Resolves once the first load settled (either way). */
  loaded: Promise<void> = Promise.resolve();
  private readonly base: string;
  private readonly listener: WeakRef<SharedBreakerListener>;

  constructor(
    private readonly owner: ChannelOwner,
    readonly pipeline: string,
    listener: SharedBreakerListener,
  ) {
    this.base = `${owner.keyPrefix}{${encodeURIComponent(pipeline)}}:`;
    this.listener = new WeakRef(listener);
  }

  get up(): boolean {
    return this.owner.up;
  }

  /** The pipeline's listener, or undefined once the pipeline was collected. */
  get receiver(): SharedBreakerListener | undefined {
    return this.listener.deref();
  }

  trip(key: string, breakMs: number): Promise<FleetBreakerState> {
    return this.transition('trip', TRIP, key, Math.max(1, Math.round(breakMs)));
  }

  acquireProbe(key: string): Promise<FleetBreakerState> {
    return this.transition('probe', PROBE, key, this.owner.probeLeaseMs);
  }

  close(key: string, epoch: number): Promise<FleetBreakerState> {
    return this.transition('close', CLOSE, key, epoch);
  }

  /** Reads every key the fleet holds for this pipeline. */
  async load(): Promise<FleetBreakerState[]> {
    const args = [`${this.base}k:`, this.token, String(LOAD_LIMIT)];
    const reply = await this.owner.run('load', LOAD, [`${this.base}i`], args);
    if (!Array.isArray(reply)) throw unexpected('load', reply);
    return reply.map((row: unknown) => {
      if (!Array.isArray(row) || typeof row[0] !== 'string') throw unexpected('load', row);
      return decode(row[0], row.slice(1), 'load');
    });
  }

  detach(): void {
    this.owner.detach(this);
  }

  private async transition(op: string, script: LuaScript, key: string, arg: number) {
    const encoded = encodeKey(key);
    const prefix = `${this.base}k:${encoded}:`;
    const keys = [`${prefix}s`, `${prefix}o`, `${prefix}p`, `${this.base}i`];
    const { channel, stateTtlMs } = this.owner;
    const args = [key, encoded, this.pipeline, this.token, channel, String(stateTtlMs)];
    args.push(String(arg));
    return decode(key, await this.owner.run(op, script, keys, args), op);
  }
}

/** A breaker key as it appears in Redis key names: URI-encoded, hashed when long. */
function encodeKey(key: string): string {
  const encoded = encodeURIComponent(key);
  return encoded.length <= 200 ? encoded : `#${createHash('sha256').update(key).digest('hex')}`;
}

/** Turns a script's `{state, epoch, ms}` reply into a {@link FleetBreakerState}. */
function decode(key: string, reply: unknown, op: string): FleetBreakerState {
  if (!Array.isArray(reply) || !STATES.has(reply[0])) throw unexpected(op, reply);
  const epoch = Number(reply[1]);
  const remainingMs = Number(reply[2]);
  if (!Number.isFinite(epoch) || !Number.isFinite(remainingMs)) throw unexpected(op, reply);
  if (reply[0] === 'won') return { key, state: 'half_open', epoch, remainingMs, probeWon: true };
  return { key, state: reply[0], epoch, remainingMs: Math.max(0, remainingMs) };
}

function unexpected(op: string, reply: unknown): BulwarkError {
  return new BulwarkError(
    ErrorCode.BreakerStateUnavailable,
    `RedisBreakerState: ${op} got an unexpected reply ${JSON.stringify(reply)?.slice(0, 100)}`,
  );
}
