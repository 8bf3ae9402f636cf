/**
 * The http-server request (`POST /transfers`, JSON body, tenant headers, a
 * fresh Idempotency-Key) driven through Express apps in this one process,
 * without sockets: Node's own IncomingMessage and ServerResponse over a
 * socket stand-in that discards what is written. It measures the JavaScript
 * a request costs (Express, the span, bulwark) with no kernel, loopback or
 * load generator in it, so the machine's other work disturbs it far less than
 * the socket scenario. Variants are measured in interleaved rounds and
 * compared per round (paired), like `harness.mjs`.
 *
 *   node benchmarks/profile/in-process.mjs [--rounds 10] [--requests 3000] [dir ...]
 *   node benchmarks/profile/in-process.mjs --alloc [--requests 3000] [dir ...]
 *   node benchmarks/profile/in-process.mjs --count [dir ...]
 *   node benchmarks/profile/in-process.mjs --profile [--requests 3000] [dir ...]
 *   node benchmarks/profile/in-process.mjs --gc [--requests 3000] [dir ...]
 *
 * Cases: Express + the plain OTel span middleware (baseline), and the
 * bulwark stack of `benchmarks/http/stack.mjs` (MemoryStore) per build `dir`
 * (default `dist/`), so a change can be compared with its base in one run.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { pairedRatio, summarise } from '../harness.mjs';
import { spanMiddleware } from '../http/span-middleware.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { cpuPerRequest, IN_PROCESS_OPTIONS } from './fake-request.mjs';
import { runDiagnosticMode } from './profile-cases.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...IN_PROCESS_OPTIONS,
    count: { type: 'boolean', default: false },
    alloc: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
  },
});
const dists =
  positionals.length > 0 ? positionals : [new URL('../../dist/', import.meta.url).pathname];

function assemble(stack) {
  const app = express();
  app.use(spanMiddleware());
  for (const middleware of stack?.beforeBody ?? []) app.use(middleware);
  app.use(express.json());
  for (const middleware of stack?.afterBody ?? []) app.use(middleware);
  app.post('/transfers', (req, res) => {
    res.status(201).json({ id: 'tr_1', status: 'accepted', amount: req.body.amount });
  });
  for (const middleware of stack?.afterRoutes ?? []) app.use(middleware);
  app.use((error, _req, _res, next) => {
    reportOnce(error);
    next(error);
  });
  return app;
}

let reported = false;
/** Prints the first error a bulwark stack answered: every request here must succeed. */
function reportOnce(error) {
  if (reported) return;
  reported = true;
  console.error(error);
}

const processors = [];
const cases = [{ id: 'otel-span', app: assemble(undefined) }];
for (const dir of dists) {
  const bulwark = await import(pathToFileURL(`${dir}/express/index.js`).href);
  const { MemoryStore } = await import(pathToFileURL(`${dir}/index.js`).href);
  const otel = await import(pathToFileURL(`${dir}/otel/index.js`).href);
  if (processors.length === 0) processors.push(new otel.TenantSpanProcessor());
  const store = new MemoryStore();
  cases.push({
    id: `bulwark-memory ${dir}`,
    app: assemble({
      beforeBody: [bulwark.requestMetrics(), bulwark.tenant()],
      afterBody: [bulwark.idempotency({ store })],
      afterRoutes: [bulwark.errorHandler({ onError: reportOnce })],
    }),
  });
}
registerSdk({ spanProcessors: processors, batch: true });

const count = Number(values.requests);
const concurrency = Number(values.concurrency);
for (const c of cases) {
  c.series = [];
  if (!values.count) await cpuPerRequest(c.app, count, concurrency); // warm-up
}
if (
  await runDiagnosticMode(
    values,
    cases,
    (c, n, k) => cpuPerRequest(c.app, n, k),
    count,
    concurrency,
  )
) {
  process.exit(0);
}
for (let round = 0; round < Number(values.rounds); round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  for (const c of order) c.series.push(await cpuPerRequest(c.app, count, concurrency));
}

const baseline = cases[0].series;
process.stdout.write(
  `| case | CPU µs/request, median | p25-p75 | extra over span | ratio to span (paired) |\n| --- | ---: | ---: | ---: | ---: |\n`,
);
for (const c of cases) {
  const s = summarise(c.series);
  const extra = summarise(c.series.map((v, i) => v - baseline[i]));
  const ratio = pairedRatio(c.series, baseline);
  process.stdout.write(
    `| ${c.id} | ${s.median.toFixed(1)} | ${s.p25.toFixed(1)}-${s.p75.toFixed(1)} | ${extra.median.toFixed(1)} | ${ratio.median.toFixed(2)} |\n`,
  );
}
