/**
 * In-process "instances" of a fleet for the shared-breaker tests: each has its
 * own Redis connections (a command client and a subscriber), its own
 * RedisBreakerState and its own pipeline of the same name, exactly as separate
 * processes would. Everything runs against a real Redis.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { BreakerOptions, ResilienceEvent, ResilientPipeline } from '../../src/index.js';
import { RedisBreakerState, type RedisBreakerStateOptions } from '../../src/redis/index.js';
import { breakerPolicy, type SingleLayerOptions } from '../../src/resilience/index.js';
import { services } from '../support/services.js';

export type Flavour = 'ioredis' | 'node-redis';

/** A command client that fails fast and counts the scripts it runs. */
export interface CountingClient {
  readonly client: RedisBreakerStateOptions['client'];
  /** Scripts run so far (EVALSHA and EVAL). */
  readonly scripts: () => number;
}

export interface FleetInstance {
  readonly state: RedisBreakerState;
  readonly pipeline: ResilientPipeline;
  readonly events: ResilienceEvent[];
  readonly scripts: () => number;
  close(): Promise<void>;
}

/** Fail-fast connections of either client to `port`; the subscriber is ready when this resolves. */
export async function connections(flavour: Flavour, port: number = services.redis.port) {
  if (flavour === 'ioredis') {
    const options = {
      host: '127.0.0.1',
      port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      retryStrategy: () => 100,
    };
    const client = new Redis(options);
    const subscriber = new Redis(options);
    for (const c of [client, subscriber]) c.on('error', () => undefined);
    await Promise.all([once(client, 'ready'), once(subscriber, 'ready')]);
    let scripts = 0;
    const counting = {
      evalsha: (...args: Parameters<Redis['evalsha']>) => {
        scripts++;
        return client.evalsha(...args);
      },
      eval: (...args: Parameters<Redis['eval']>) => {
        scripts++;
        return client.eval(...args);
      },
    };
    return {
      client: counting as unknown as Redis,
      subscriber,
      scripts: () => scripts,
      end: async () => {
        client.disconnect();
        subscriber.disconnect();
      },
    };
  }
  const make = () => {
    const c = createClient({
      url: `redis://127.0.0.1:${port}`,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1_000, reconnectStrategy: () => 100 },
    });
    c.on('error', () => undefined);
    return c;
  };
  const client = make();
  const subscriber = make();
  await Promise.all([client.connect(), subscriber.connect()]);
  let scripts = 0;
  const counting = {
    evalSha: (...args: Parameters<typeof client.evalSha>) => {
      scripts++;
      return client.evalSha(...args);
    },
    eval: (...args: Parameters<typeof client.eval>) => {
      scripts++;
      return client.eval(...args);
    },
  };
  return {
    client: counting as unknown as typeof client,
    subscriber,
    scripts: () => scripts,
    end: async () => {
      client.destroy();
      subscriber.destroy();
    },
  };
}

/** One instance: its connections, its shared state and its breaker-only pipeline named `name`. */
export async function startInstance(
  flavour: Flavour,
  keyPrefix: string,
  name: string,
  breaker: BreakerOptions & SingleLayerOptions,
  state: Partial<RedisBreakerStateOptions> = {},
  port?: number,
): Promise<FleetInstance> {
  const c = await connections(flavour, port);
  const shared = new RedisBreakerState({
    client: c.client,
    subscriber: c.subscriber,
    keyPrefix,
    ...state,
  });
  const pipeline = breakerPolicy(name, { telemetry: false, ...breaker, shared });
  const events: ResilienceEvent[] = [];
  pipeline.onEvent((event) => events.push(event));
  await shared.ready();
  return {
    state: shared,
    pipeline,
    events,
    scripts: c.scripts,
    close: async () => {
      shared.close();
      await c.end();
    },
  };
}

/** The transitions among `events`, as `name/origin`. */
export function transitions(events: readonly ResilienceEvent[]): string[] {
  return events.filter((e) => e.origin !== undefined).map((e) => `${e.name}/${e.origin}`);
}
