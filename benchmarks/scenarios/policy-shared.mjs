/**
 * Scenario 1c: what a breaker shared through Redis (RedisBreakerState) costs a
 * call, with Redis up. The same `resilient()` pipeline with and without
 * `breaker.shared`, on the success path (breaker closed) and on an open
 * breaker (every call refused fast). Neither path should reach Redis: only
 * transitions write. Baseline: the bare async call (success) or a bare
 * rejected promise (open).
 */
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';
import { ignore, work } from '../policies.mjs';
import { RUN_ID, SERVICES, serviceDown } from '../services.mjs';

/** Keys of this run only, deleted at the end. */
const PREFIX = `bulwark-bench:${RUN_ID}:breaker:`;
/** An open breaker stays open for the whole run. */
const DAY_MS = 86_400_000;

async function openRedis() {
  const { Redis } = await import('ioredis');
  // Fail fast, as the README asks of a RedisBreakerState client.
  const options = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 };
  const client = new Redis(SERVICES.redis.url, options);
  const subscriber = new Redis(SERVICES.redis.url, options);
  await Promise.all([client.connect(), subscriber.connect()]);
  const close = async () => {
    const keys = await client.keys(`${PREFIX}*`);
    if (keys.length > 0) await client.unlink(...keys);
    await Promise.all([client.quit(), subscriber.quit()]);
  };
  return { client, subscriber, close };
}

/** A pipeline of bulwark's defaults, with `shared` when given. */
function pipeline(bulwark, name, breaker, shared) {
  return bulwark.resilient(name, { breaker: shared ? { ...breaker, shared } : breaker });
}

await scenario(
  {
    id: 'policy-shared',
    title: 'Shared breaker overhead (RedisBreakerState, Redis up, no SDK)',
    description:
      'resilient() defaults with and without breaker.shared = new RedisBreakerState({ client, subscriber }) on the shared Redis. Success path: a closed breaker. Open path: a breaker tripped once (one Redis write), then every call refused with BULWARK_CIRCUIT_OPEN. Neither path makes a Redis round trip; the ratio of the two resilient() rows is the cost of sharing.',
  },
  async () => {
    const core = await requireExports('', ['resilient']);
    const redis = await requireExports('redis', ['RedisBreakerState']);
    if (!core.ok) return { skipped: core.reason };
    if (!redis.ok) return { skipped: redis.reason };
    const down = await serviceDown('redis');
    if (down) return { skipped: down };
    const { client, subscriber, close } = await openRedis();
    try {
      const { RedisBreakerState } = redis.exports;
      const shared = new RedisBreakerState({ client, subscriber, keyPrefix: PREFIX });
      const closed = {};
      const local = pipeline(core.exports, 'bench-local', closed);
      const fleet = pipeline(core.exports, 'bench-shared', closed, shared);
      await shared.ready();
      const success = await compareTime({
        id: 'policy-shared-success',
        title: 'Success path, breaker closed',
        cases: [
          { id: 'bare', label: 'bare async call', fn: () => work.succeed().catch(ignore) },
          {
            id: 'resilient',
            label: 'resilient() defaults',
            fn: () => local.execute(() => work.succeed()).catch(ignore),
          },
          {
            id: 'resilient-shared',
            label: 'resilient() defaults + RedisBreakerState',
            fn: () => fleet.execute(() => work.succeed()).catch(ignore),
          },
        ],
      });

      const tripping = { mode: 'consecutive', consecutiveFailures: 1, breakDurationMs: DAY_MS };
      const localOpen = pipeline(core.exports, 'bench-local-open', tripping);
      const fleetOpen = pipeline(core.exports, 'bench-shared-open', tripping, shared);
      const reset = () => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
      const retryOff = { retry: false };
      await localOpen.execute(reset, retryOff).catch(ignore);
      await fleetOpen.execute(reset, retryOff).catch(ignore);
      if (localOpen.circuitState() !== 'open' || fleetOpen.circuitState() !== 'open') {
        throw new Error('the breakers of the open path did not open');
      }
      const refused = Object.assign(new Error('refused'), { code: 'BULWARK_CIRCUIT_OPEN' });
      const open = await compareTime({
        id: 'policy-shared-open',
        title: 'Open breaker, every call refused fast',
        cases: [
          {
            id: 'bare',
            label: 'bare rejected promise',
            fn: () => Promise.reject(refused).catch(ignore),
          },
          {
            id: 'resilient',
            label: 'resilient(), breaker open',
            fn: () => localOpen.execute(() => work.succeed()).catch(ignore),
          },
          {
            id: 'resilient-shared',
            label: 'resilient() + RedisBreakerState, breaker open',
            fn: () => fleetOpen.execute(() => work.succeed()).catch(ignore),
          },
        ],
      });
      shared.close();
      return { groups: [success, open] };
    } finally {
      await close();
    }
  },
);
