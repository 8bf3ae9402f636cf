/**
 * Scenario: what bulwark/status costs the service.
 *
 * 1. Mounted and idle: the full bulwark Express stack (MemoryStore) with and
 *    without `statusHandler()` mounted at /status, under autocannon, in
 *    interleaved rounds like http-server. The handler reads state only when
 *    asked, so the two should be within noise.
 * 2. A page open: CPU time of a service process (busy-looking state: 200
 *    keys, 50 tenants, SLOs, outcomes) over a window with no client, and over
 *    a window with one live stream connected (the bytes the page receives
 *    once a second), as a percentage of one core.
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
import { startServer, stop } from '../http/processes.mjs';
import { loadRounds, transfersUrl, withLatency } from '../http/rounds.mjs';

const LOAD = {
  // Five rounds even in quick mode: on a shared 2-core machine three rounds of two
  // near-equal variants swing ±30% either way.
  quick: { rounds: 5, durationS: 2, warmupS: 1, connections: 10, cpuWindowS: 5 },
  full: { rounds: 5, durationS: 8, warmupS: 3, connections: 10, cpuWindowS: 20 },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function mountedIdle(shape, mode) {
  const variants = [
    { id: 'stack', label: 'bulwark Express stack, MemoryStore' },
    { id: 'stack+status', label: 'the same + statusHandler() mounted, idle' },
  ];
  const running = [];
  try {
    for (const [i, variant] of variants.entries()) {
      const started = await startServer(i === 0 ? 'bulwark-memory' : 'bulwark-memory+status');
      if (started.skip) return { skipped: started.skip };
      running.push({ ...variant, ...started, url: transfersUrl(started.port) });
    }
    const series = await loadRounds(running, shape);
    const result = group({
      id: 'status-mounted',
      title: `POST /transfers with and without /status mounted, ${shape.connections} connections, ${shape.durationS} s per round`,
      unit: 'req/s',
      better: 'higher',
      cases: running,
      series,
      notes: `${shape.rounds} rounds (${mode.name} mode)`,
    });
    withLatency(result, running);
    printGroup(result);
    return { group: result };
  } finally {
    await Promise.all(running.map((v) => stop(v.child)));
  }
}

/** CPU used by the server over `windowS`, as % of one core, with or without a live stream. */
async function cpuWindow(base, windowS, withPage) {
  const controller = new AbortController();
  let bytes = 0;
  if (withPage) {
    const response = await fetch(`${base}/status/events`, { signal: controller.signal });
    const reader = response.body.getReader();
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        bytes += value.byteLength;
      }
    })().catch(() => undefined);
    await sleep(200); // the connect and first report are not the steady state
  }
  const read = async () => (await fetch(`${base}/cpu`)).json();
  const before = await read();
  await sleep(windowS * 1000);
  const after = await read();
  controller.abort();
  await sleep(100);
  const percent = ((after.cpuMs - before.cpuMs) / (after.wallMs - before.wallMs)) * 100;
  return { percent, bytesPerS: bytes / windowS };
}

async function pageOpen(shape, mode) {
  const started = await startServer('', './status-server.mjs');
  if (started.skip) return { skipped: started.skip };
  const base = `http://127.0.0.1:${started.port}`;
  try {
    await sleep(3_000); // the set-up's garbage collected, timers settled
    const cases = [
      { id: 'no-page', label: 'status mounted, no page open' },
      { id: 'page-open', label: 'one page open, live update every 1 s' },
    ];
    const streamed = [];
    const series = await interleave(cases, shape.rounds, async (c) => {
      const result = await cpuWindow(base, shape.cpuWindowS, c.id === 'page-open');
      if (c.id === 'page-open') streamed.push(result.bytesPerS);
      return result.percent;
    });
    const result = group({
      id: 'status-page-cpu',
      title: `Service process CPU over ${shape.cpuWindowS} s windows (% of one core)`,
      unit: '% CPU',
      better: 'lower',
      cases,
      series,
      notes: `${shape.rounds} rounds (${mode.name} mode); the page receives ${Math.round(summarise(streamed).median)} bytes/s. Ratios against an idle process near 0% CPU are not meaningful; read the medians.`,
    });
    printGroup(result);
    return { group: result };
  } finally {
    await stop(started.child);
  }
}

await scenario(
  {
    id: 'status',
    title: 'bulwark/status: mounted and idle, and one page open',
    description:
      'Mounted and idle: the full bulwark Express stack (MemoryStore) with and without statusHandler() at /status, each in its own process under autocannon in interleaved rounds. Page open: CPU time of a service process holding 200 keyed breakers and budgets, 50 tenant bulkheads, two SLOs and idempotency outcomes, over windows with no client and with one live stream (what an open page receives), as a percentage of one core.',
  },
  async (mode) => {
    const shape = LOAD[currentMode().name] ?? LOAD.quick;
    const groups = [];
    const skipped = [];
    for (const part of [mountedIdle, pageOpen]) {
      const outcome = await part(shape, mode);
      if (outcome.skipped) {
        log(`  skip: ${outcome.skipped}`);
        skipped.push(outcome.skipped);
      } else groups.push(outcome.group);
    }
    return groups.length > 0 ? { groups } : { skipped: skipped.join('; ') };
  },
);
