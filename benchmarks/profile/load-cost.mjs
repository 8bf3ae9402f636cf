/**
 * What a microsecond of JavaScript per request costs a server under load, and
 * so how much JavaScript a throughput target leaves the bulwark stack. The
 * span baseline of the http-server scenario (Express or Fastify) runs with a
 * busy wait of N µs per request added (`http/spin-server.mjs`, N from
 * `--spins`), beside the bulwark stack over a MemoryStore, all loaded by
 * autocannon in interleaved rounds as the scenario does, with the hand-rolled
 * equivalent too (`http/<framework>-hand-rolled.mjs`). For each it reports
 * req/s and the server process's CPU per request (user + system, from /proc).
 *
 * The slope of extra CPU against N is the load's amplification: on a 2-core
 * machine, where autocannon shares the cores, a request path made longer
 * makes the kernel's side of each request dearer too (`native writev` and
 * system time grow with it), so N µs of JavaScript cost more than N µs of
 * CPU. Dividing the stack's extra CPU by the slope gives its cost in
 * JavaScript µs (comparable with `in-process.mjs`), and each req/s target
 * (a ratio to the span or to bare) becomes a budget in the same µs.
 *
 *   node benchmarks/profile/load-cost.mjs [--framework express|fastify] [--spins 0,4,8,16]
 *                                         [--rounds 4] [--seconds 3] [--connections 10] [--parts]
 *
 * `--parts` adds the stack with one part left out at a time (idempotency,
 * metrics, tenant): what each part costs under load.
 *
 * Linux only (it reads /proc/<pid>/stat). Prints a markdown table and the budgets.
 */
import { parseArgs } from 'node:util';
import { pairedRatio, summarise } from '../harness.mjs';
import { startServer, stop } from '../http/processes.mjs';
import { transfersUrl } from '../http/rounds.mjs';
import { PARTS } from '../http/stack.mjs';
import { amplification, javascriptBudget } from './load-budget.mjs';
import { loadRoundsWithCpu } from './server-cpu.mjs';

const { values } = parseArgs({
  options: {
    framework: { type: 'string', default: 'express' },
    spins: { type: 'string', default: '0,4,8,16' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    parts: { type: 'boolean', default: false },
  },
});
const framework = values.framework;
if (framework !== 'express' && framework !== 'fastify') {
  throw new Error(`--framework is express or fastify, not ${framework}`);
}
const realServer = framework === 'express' ? './server.mjs' : './fastify-server.mjs';
const spins = values.spins.split(',').map(Number);
if (spins[0] !== 0 || spins.some((us) => !Number.isFinite(us) || us < 0)) {
  throw new Error('--spins is a list of µs starting with 0 (the span baseline)');
}

const variants = [
  ...spins.map((us) => ({
    id: `span + ${us} µs`,
    spinUs: us,
    start: () => startServer(`${framework}+spin${us}`, './spin-server.mjs'),
  })),
  { id: 'bare', start: () => startServer('bare', realServer) },
  // The least a service could hand-write for the same work (http/<framework>-hand-rolled.mjs).
  {
    id: 'span + hand-rolled idempotency and histogram',
    start: () => startServer('hand-rolled', realServer),
  },
  { id: 'span + bulwark (MemoryStore)', start: () => startServer('bulwark-memory', realServer) },
  ...(values.parts ? partVariants() : []),
];

/** `--parts`: the stack with one part left out, so what each costs under load shows. */
function partVariants() {
  return PARTS.map((part) => ({
    id: `span + bulwark without ${part}`,
    start: () => startServer(`bulwark-memory-without-${part}`, realServer),
  }));
}

const shape = { durationS: Number(values.seconds), connections: Number(values.connections) };
const running = [];
try {
  for (const variant of variants) {
    const started = await variant.start();
    if (started.skip) throw new Error(`${variant.id}: ${started.skip}`);
    running.push({ ...variant, ...started, url: transfersUrl(started.port), cpu: [] });
  }
  report(await loadRoundsWithCpu(running, Number(values.rounds), shape));
} finally {
  for (const v of running) await stop(v.child);
}

function report(rps) {
  const base = running[0];
  const extraCpu = (v) => summarise(v.cpu.map((cpu, i) => cpu - base.cpu[i])).median;
  const slope = amplification(
    running
      .filter((v) => v.spinUs !== undefined)
      .map((v) => ({ addedUs: v.spinUs, extraCpuUs: extraCpu(v) })),
  );
  const lines = [
    `${framework}: ${values.rounds} interleaved rounds of ${values.seconds} s, ${values.connections} connections`,
    '',
    '| variant | req/s | ratio to span (paired) | CPU µs/request | extra CPU over span | as JS µs (extra / slope) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  running.forEach((v, i) => {
    const ratio = pairedRatio(rps[i], rps[0]);
    const extra = extraCpu(v);
    lines.push(
      `| ${v.id} | ${Math.round(summarise(rps[i]).median)} | ${ratio.median.toFixed(3)} [${ratio.p25.toFixed(3)}-${ratio.p75.toFixed(3)}] | ${summarise(v.cpu).median.toFixed(1)} | ${extra.toFixed(1)} | ${(extra / slope).toFixed(1)} |`,
    );
  });
  const spanCpu = summarise(base.cpu).median;
  const bare = running.find((v) => v.id === 'bare');
  const bareOfSpan = pairedRatio(rps[running.indexOf(bare)], rps[0]).median;
  const budget = (ratioToSpan) => javascriptBudget(ratioToSpan, spanCpu, slope);
  lines.push(
    '',
    `Amplification: ${slope.toFixed(2)} µs of CPU per µs of JavaScript added (least squares over the spins).`,
    `Budget, in JavaScript µs per request over the span, of a stack at 0.85 of the span's req/s: ${budget(0.85).toFixed(1)};`,
    `at 0.75 of bare (bare is ${bareOfSpan.toFixed(3)} of the span here): ${describeBudget(budget(0.75 * bareOfSpan))}.`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

function describeBudget(us) {
  return us < 0 ? 'none (it asks for more req/s than the span alone serves)' : us.toFixed(1);
}
