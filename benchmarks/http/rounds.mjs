/**
 * The load loop the HTTP server scenarios share (http-server,
 * http-server-fastify, status): start server variants in their own processes,
 * warm each up once, load them in interleaved rounds with autocannon, and add
 * the latency medians and error counts of those rounds to the result rows.
 */
import { interleave, log, summarise } from '../harness.mjs';
import { load, startServer } from './processes.mjs';

/**
 * Starts each variant (`{ id, label }`) with `scriptFile` (default: the
 * Express server). Returns the running ones (with `child`, `port` and the
 * `POST /transfers` url) and the skipped ones (with a `reason`), logged as
 * `skip <scenarioId>/<id>`. `only`, when given, keeps `bare` and those ids.
 */
export async function startVariants(variants, { scenarioId, scriptFile, only }) {
  const running = [];
  const skipped = [];
  for (const variant of variants) {
    if (only !== undefined && variant.id !== 'bare' && !only.includes(variant.id)) continue;
    const started = await startServer(variant.id, scriptFile);
    if (started.skip) {
      log(`  skip ${scenarioId}/${variant.id}: ${started.skip}`);
      skipped.push({ ...variant, reason: started.skip });
    } else {
      running.push({ ...variant, ...started, url: transfersUrl(started.port) });
    }
  }
  return { running, skipped };
}

/** The url every server scenario loads: a fresh `POST /transfers` per request. */
export function transfersUrl(port) {
  return `http://127.0.0.1:${port}/transfers`;
}

/**
 * Warms each running server up for `shape.warmupS`, then loads them in
 * `shape.rounds` interleaved rounds of `shape.durationS`. Each round's
 * autocannon result is kept in `v.details`; returns the req/s series.
 */
export async function loadRounds(running, shape) {
  for (const v of running) {
    v.details = [];
    await load({ url: v.url, durationS: shape.warmupS, connections: shape.connections });
  }
  return interleave(running, shape.rounds, async (v) => {
    const result = await load({ url: v.url, durationS: shape.durationS, ...shape });
    v.details.push(result);
    return result.rps;
  });
}

/**
 * Adds p50/p99 medians and failed counts from `v.details` to each row of
 * `result`; with `scenarioId`, logs the rows that had failed or non-2xx responses.
 */
export function withLatency(result, running, scenarioId) {
  for (const row of result.rows) {
    const details = running.find((v) => v.id === row.id).details;
    row.p50Ms = summarise(details.map((d) => d.p50Ms)).median;
    row.p99Ms = summarise(details.map((d) => d.p99Ms)).median;
    row.failed = details.reduce((n, d) => n + d.non2xx + d.errors + d.timeouts, 0);
    if (scenarioId !== undefined && row.failed > 0) {
      log(`!!! ${scenarioId}/${row.id}: ${row.failed} failed or non-2xx responses`);
    }
  }
  return result;
}
