/**
 * Scenario 4b: a Fastify server under load, the same load as `http-server`
 * (Express). Each variant runs in its own process on 127.0.0.1; autocannon
 * runs in another, for a bounded duration, visiting the variants in
 * interleaved rounds. Every request is a new `POST /transfers` with a fresh
 * Idempotency-Key. Baseline: bare Fastify.
 */
import {
  currentMode,
  group,
  interleave,
  log,
  printGroup,
  scenario,
  summarise,
} from '../harness.mjs';
import { load, startServer, stop } from '../http/processes.mjs';
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

async function startAll() {
  const running = [];
  const skipped = [];
  for (const variant of VARIANTS) {
    if (ONLY !== undefined && variant.id !== 'bare' && !ONLY.includes(variant.id)) continue;
    const started = await startServer(variant.id, './fastify-server.mjs');
    if (started.skip) {
      log(`  skip http-server-fastify/${variant.id}: ${started.skip}`);
      skipped.push({ ...variant, reason: started.skip });
    } else {
      running.push({ ...variant, ...started, url: `http://127.0.0.1:${started.port}/transfers` });
    }
  }
  return { running, skipped };
}

/** Adds latency medians and error counts from the per-round details to each row. */
function withLatency(result, running) {
  for (const row of result.rows) {
    const details = running.find((v) => v.id === row.id).details;
    row.p50Ms = summarise(details.map((d) => d.p50Ms)).median;
    row.p99Ms = summarise(details.map((d) => d.p99Ms)).median;
    row.failed = details.reduce((n, d) => n + d.non2xx + d.errors + d.timeouts, 0);
    if (row.failed > 0) {
      log(`!!! http-server-fastify/${row.id}: ${row.failed} failed or non-2xx responses`);
    }
  }
  return result;
}

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
    const { running, skipped } = await startAll();
    try {
      if (running[0]?.id !== 'bare') return { skipped: 'bare Fastify did not start' };
      for (const v of running) {
        v.details = [];
        await load({ url: v.url, durationS: shape.warmupS, connections: shape.connections });
      }
      const series = await interleave(running, shape.rounds, async (v) => {
        const result = await load({ url: v.url, durationS: shape.durationS, ...shape });
        v.details.push(result);
        return result.rps;
      });
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
      printGroup(withLatency(result, running));
      return { groups: [result] };
    } finally {
      await Promise.all(running.map((v) => stop(v.child)));
      await forgetRun();
    }
  },
);
