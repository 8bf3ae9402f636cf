/**
 * Where the Express stack's cost goes: the http-server request through bare
 * Express, Express + the span middleware, and the span + the bulwark stack of
 * `http/stack.mjs` with one middleware left out per row, in this one process
 * (paired rounds of CPU per request over a socket stand-in, as
 * `in-process.mjs`). "All parts" minus a row with one part out is that part's
 * cost; the counterpart of `fastify-parts.mjs`, so the two frameworks' parts
 * can be set side by side. The last row is the yardstick of
 * `http/express-hand-rolled.mjs`: the least a service could hand-write for
 * the same request.
 *
 *   node --expose-gc benchmarks/profile/express-parts.mjs [--rounds 10] [--requests 3000] [dir]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { handRolledIdempotency, handRolledMetrics } from '../http/express-hand-rolled.mjs';
import { spanMiddleware } from '../http/span-middleware.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { IN_PROCESS_OPTIONS, pairedCpuTable } from './fake-request.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ...IN_PROCESS_OPTIONS },
});
const dir = positionals[0] ?? new URL('../../dist/', import.meta.url).pathname;
const bulwark = await import(pathToFileURL(`${dir}/express/index.js`).href);
const { MemoryStore } = await import(pathToFileURL(`${dir}/index.js`).href);
const { TenantSpanProcessor } = await import(pathToFileURL(`${dir}/otel/index.js`).href);

const ALL = ['requestMetrics', 'tenant', 'idempotency', 'errorHandler'];
/** The bulwark middleware of each row: none is the span alone; `bare` has no span either. */
const ROWS = [
  { id: 'otel-span (baseline)', parts: [] },
  { id: 'bare Express', parts: [], bare: true },
  { id: 'span + stack, all parts', parts: ALL },
  ...['idempotency', 'requestMetrics', 'tenant'].map((left) => ({
    id: `span + stack, ${left} out`,
    parts: ALL.filter((part) => part !== left),
  })),
  { id: 'span + stack, errorHandler only', parts: ['errorHandler'] },
  { id: 'span + hand-rolled idempotency and histogram (yardstick)', parts: [], handRolled: true },
];

/** The app of `http/stack.mjs` with only `parts` mounted, each where the README mounts it. */
function assemble({ parts, bare, handRolled }) {
  const app = express();
  if (!bare) app.use(spanMiddleware());
  if (parts.includes('requestMetrics')) app.use(bulwark.requestMetrics());
  if (parts.includes('tenant')) app.use(bulwark.tenant());
  if (handRolled) app.use(handRolledMetrics());
  app.use(express.json());
  if (parts.includes('idempotency')) app.use(bulwark.idempotency({ store: new MemoryStore() }));
  if (handRolled) app.use(handRolledIdempotency());
  app.post('/transfers', (req, res) => {
    res.status(201).json({ id: 'tr_1', status: 'accepted', amount: req.body.amount });
  });
  if (parts.includes('errorHandler')) app.use(bulwark.errorHandler());
  return app;
}

// Before any app is built: the metrics API has no proxy, so the yardstick's
// histogram, asked for earlier, would be a no-op one.
registerSdk({ spanProcessors: [new TenantSpanProcessor()], batch: true });
const cases = ROWS.map((row) => ({ id: row.id, handler: assemble(row) }));
process.stdout.write(`${await pairedCpuTable(cases, values)}\n`);
