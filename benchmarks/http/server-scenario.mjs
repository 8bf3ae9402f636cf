/**
 * The one shape of the two framework scenarios (http-server on Express,
 * http-server-fastify on Fastify): the same five variants, the same load per
 * mode, the same interleaved rounds; only the framework's name, its server
 * script and the description differ.
 */
import { currentMode, group, printGroup, scenario } from '../harness.mjs';
import { RUN_ID } from '../services.mjs';
import { forgetRun } from '../stores.mjs';
import { stop } from './processes.mjs';
import { loadRounds, startVariants, withLatency } from './rounds.mjs';

/** Load shape per mode: rounds x durationS per variant, after one warm-up of warmupS. */
const LOAD = {
  quick: { rounds: 3, durationS: 2, warmupS: 1, connections: 10 },
  full: { rounds: 5, durationS: 8, warmupS: 3, connections: 10 },
};

/**
 * The variants every framework is measured in, baseline first. `span` and
 * `stack` name what the framework's server adds (hand-written span
 * middleware or hooks; bulwark's middleware or plugin); `yardsticks` are the
 * scenario's own extra variants (`{ id, label }`), measured after the span.
 */
function variants(framework, { span, stack }, yardsticks) {
  return [
    { id: 'bare', label: `bare ${framework}` },
    { id: 'otel-span', label: `${framework} + plain OTel span ${span}` },
    ...yardsticks,
    ...['MemoryStore', 'RedisStore', 'PostgresStore'].map((store) => ({
      id: `bulwark-${store.replace('Store', '').toLowerCase()}`,
      label: `${framework} + span + bulwark ${stack}, ${store}`,
    })),
  ];
}

/**
 * Runs one server scenario: `framework` (`Express`, `Fastify`) names the rows,
 * `scriptFile` (relative to `http/`) starts one variant per process, and
 * `BENCH_HTTP_VARIANTS=bulwark-memory` measures some variants only (the
 * baseline always runs).
 */
export async function serverScenario({
  id,
  title,
  description,
  framework,
  names,
  scriptFile,
  titlePrefix = '',
  yardsticks = [],
}) {
  const only = process.env.BENCH_HTTP_VARIANTS?.split(',');
  await scenario({ id, title, description }, async (mode) => {
    const shape = LOAD[currentMode().name] ?? LOAD.quick;
    // The servers inherit this run's id, so what they leave in Redis/PostgreSQL can be removed here.
    process.env.BENCH_RUN_ID = RUN_ID;
    const { running, skipped } = await startVariants(variants(framework, names, yardsticks), {
      scenarioId: id,
      scriptFile,
      only,
    });
    try {
      if (running[0]?.id !== 'bare') return { skipped: `bare ${framework} did not start` };
      const series = await loadRounds(running, shape);
      const result = group({
        id,
        title: `${titlePrefix}POST /transfers, ${shape.connections} connections, ${shape.durationS} s per round`,
        unit: 'req/s',
        better: 'higher',
        cases: running,
        series,
        skipped: skipped.map(({ id: skippedId, label, reason }) => ({
          id: skippedId,
          label,
          reason,
        })),
        notes: `${shape.rounds} rounds (${mode.name} mode)`,
      });
      printGroup(withLatency(result, running, id));
      return { groups: [result] };
    } finally {
      await Promise.all(running.map((v) => stop(v.child)));
      await forgetRun();
    }
  });
}
