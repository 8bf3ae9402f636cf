/**
 * The Fastify counterpart of `in-process.mjs`: the http-server request driven
 * through Fastify apps (`fastify.routing`) in this one process, over a socket
 * stand-in (the span hooks, the hand-rolled yardstick, then the plugin of each
 * build), paired rounds of CPU per request, `--alloc` bytes per request, and
 * `--gc`: GC count and time per request (scavenges, mark-compacts).
 *
 *   node benchmarks/profile/fastify-in-process.mjs [--rounds 10] [--alloc] [--gc] [--profile] [--count] [dir ...]
 *
 * `--profile`: self µs per request by area and top bulwark functions (V8 CPU profiler).
 * `--count`: async resources (promises, ticks) per request, by type: deterministic.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { pairedRatio, summarise } from '../harness.mjs';
import { addHandRolledIdempotency } from '../http/fastify-hand-rolled.mjs';
import { addSpanHooks } from '../http/fastify-span-hooks.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { cpuPerRequest, IN_PROCESS_OPTIONS } from './fake-request.mjs';
import { runDiagnosticMode } from './profile-cases.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...IN_PROCESS_OPTIONS,
    alloc: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    count: { type: 'boolean', default: false },
  },
});
const dists =
  positionals.length > 0 ? positionals : [new URL('../../dist/', import.meta.url).pathname];
function route(app) {
  app.post('/transfers', async (request, reply) =>
    reply.code(201).send({ id: 'tr_1', status: 'accepted', amount: request.body.amount }),
  );
  return app;
}

// The SDK goes in before any app is built, as a service starts it: the
// metrics API has no proxy, so a yardstick that asked for its histogram before
// would record into a no-op one and look cheaper than it is.
const { TenantSpanProcessor } = await import(pathToFileURL(`${dists[0]}/otel/index.js`).href);
registerSdk({ spanProcessors: [new TenantSpanProcessor()], batch: true });

const cases = [];
{
  const app = Fastify();
  addSpanHooks(app);
  route(app);
  await app.ready();
  cases.push({ id: 'otel-span', handler: app.routing });
}
{
  // The yardstick of the load scenario (http/fastify-hand-rolled.mjs), to tell
  // what of the plugin's cost under load is there in process too.
  const app = Fastify();
  addHandRolledIdempotency(app);
  addSpanHooks(app);
  route(app);
  await app.ready();
  cases.push({ id: 'hand-rolled', handler: app.routing });
}
for (const dir of dists) {
  const { bulwark } = await import(pathToFileURL(`${dir}/fastify/index.js`).href);
  const { MemoryStore } = await import(pathToFileURL(`${dir}/index.js`).href);
  const app = Fastify();
  await app.register(bulwark, { idempotency: { store: new MemoryStore() } });
  addSpanHooks(app);
  route(app);
  await app.ready();
  cases.push({ id: `bulwark-memory ${dir}`, handler: app.routing });
}
const count = Number(values.requests);
const concurrency = Number(values.concurrency);
for (const c of cases) {
  c.series = [];
  await cpuPerRequest(c.handler, count, concurrency);
}
if (
  await runDiagnosticMode(
    values,
    cases,
    (c, n, k) => cpuPerRequest(c.handler, n, k),
    count,
    concurrency,
  )
) {
  process.exit(0);
}
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const c of order) c.series.push(await cpuPerRequest(c.handler, count, concurrency));
}
const base = cases[0];
for (const c of cases) {
  const s = summarise(c.series);
  const line = [
    `${c.id}: ${s.median.toFixed(1)} µs/req (p25 ${s.p25.toFixed(1)}, p75 ${s.p75.toFixed(1)})`,
  ];
  if (c !== base) {
    const r = pairedRatio(c.series, base.series);
    line.push(`vs otel-span ${r.median.toFixed(2)} (${r.p25.toFixed(2)}-${r.p75.toFixed(2)})`);
  }
  if (cases.length > 3 && c !== base && c !== cases[1] && c !== cases[2]) {
    const r = pairedRatio(c.series, cases[2].series);
    line.push(`vs first build ${r.median.toFixed(3)} (${r.p25.toFixed(3)}-${r.p75.toFixed(3)})`);
  }
  process.stdout.write(`${line.join('  ')}\n`);
}
