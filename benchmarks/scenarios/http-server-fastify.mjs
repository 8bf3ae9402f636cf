/**
 * Scenario 4b: a Fastify server under load, the same load as `http-server`
 * (Express). Each variant runs in its own process on 127.0.0.1; autocannon
 * runs in another, for a bounded duration, visiting the variants in
 * interleaved rounds. Every request is a new `POST /transfers` with a fresh
 * Idempotency-Key. Baseline: bare Fastify.
 */
import { currentMode, group, printGroup, scenario } from '../harness.mjs';
import { stop } from '../http/processes.mjs';
import { loadRounds, startVariants, withLatency } from '../http/rounds.mjs';
import { RUN_ID } from '../services.mjs';
import { forgetRun } from '../stores.mjs';

const VARIANTS = [
  { id: 'bare', label: 'bare Fastify' },
  { id: 'otel-span', label: 'Fastify + plain OTel span hooks' },
  { id: 'bulwark-memory', label: 'Fastify + span + bulwark plugin, MemoryStore' },
  { id: 'bulwark-redis', label: 'Fastify + span + bulwark plugin, RedisStore' },
  { id: 'bulwark-postgres', label: 'Fastify + span + bulwark plugin, PostgresStore' },
];

/** `BENCH_HTTP_VARIANTS=bulwark-memory` measures some variants only; the baseline always runs. */
const ONLY = process.env.BENCH_HTTP_VARIANTS?.split(',');

/** Load shape per mode: rounds x durationS per variant, after one warm-up of warmupS. */
const LOAD = {
  quick: { rounds: 3, durationS: 2, warmupS: 1, connections: 10 },
  full: { rounds: 5, durationS: 8, warmupS: 3, connections: 10 },
};

await scenario(
  {
    id: 'http-server-fastify',
    title: 'HTTP server under autocannon (Fastify)',
    description:
      'The load of `http-server`, on Fastify 5: each variant runs in its own process; autocannon runs in another against 127.0.0.1 for a bounded time per round, the variants visited in interleaved rounds. Every request is a new `POST /transfers` with a JSON body, `X-Tenant-Id` and a fresh `Idempotency-Key`. The OTel variants register an SDK (batch span processor exporting nowhere, metrics aggregated and never exported). The bulwark variants are the span hooks plus the `bulwark` plugin (tenant, metrics, idempotency over the store, problem+json errors), with the tenant span processor on the SDK.',
  },
  async (mode) => {
    const shape = LOAD[currentMode().name] ?? LOAD.quick;
    // The servers inherit this run's id, so what they leave in Redis/PostgreSQL can be removed here.
    process.env.BENCH_RUN_ID = RUN_ID;
    const { running, skipped } = await startVariants(VARIANTS, {
      scenarioId: 'http-server-fastify',
      scriptFile: './fastify-server.mjs',
      only: ONLY,
    });
    try {
      if (running[0]?.id !== 'bare') return { skipped: 'bare Fastify did not start' };
      const series = await loadRounds(running, shape);
      const result = group({
        id: 'http-server-fastify',
        title: `Fastify: POST /transfers, ${shape.connections} connections, ${shape.durationS} s per round`,
        unit: 'req/s',
        better: 'higher',
        cases: running,
        series,
        skipped: skipped.map(({ id, label, reason }) => ({ id, label, reason })),
        notes: `${shape.rounds} rounds (${mode.name} mode)`,
      });
      printGroup(withLatency(result, running, 'http-server-fastify'));
      return { groups: [result] };
    } finally {
      await Promise.all(running.map((v) => stop(v.child)));
      await forgetRun();
    }
  },
);
