/**
 * Where the Fastify plugin's cost goes: the http-server request through bare
 * Fastify, Fastify + span hooks, and the span hooks + the `bulwark` plugin
 * with one part turned off at a time, in this one process (paired rounds of
 * CPU per request over a socket stand-in, as `fastify-in-process.mjs`). The
 * difference between "all parts" and a row with one part off is that part's
 * cost; bare against span is the budget a ratio to bare Fastify leaves. The
 * last row is the yardstick of `http/fastify-hand-rolled.mjs`: the least a
 * service could hand-write for the same request.
 *
 *   node --expose-gc benchmarks/profile/fastify-parts.mjs [--rounds 10] [--requests 3000] [dir]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { addHandRolledIdempotency } from '../http/fastify-hand-rolled.mjs';
import { addSpanHooks } from '../http/fastify-span-hooks.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { IN_PROCESS_OPTIONS, pairedCpuTable } from './fake-request.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...IN_PROCESS_OPTIONS,
  },
});
const dir = positionals[0] ?? new URL('../../dist/', import.meta.url).pathname;
const { bulwark } = await import(pathToFileURL(`${dir}/fastify/index.js`).href);
const { MemoryStore } = await import(pathToFileURL(`${dir}/index.js`).href);
const { TenantSpanProcessor } = await import(pathToFileURL(`${dir}/otel/index.js`).href);

/** Plugin options per row: `undefined` is no plugin; `bare` has no span hooks either. */
const ROWS = [
  { id: 'otel-span (baseline)', parts: undefined },
  { id: 'bare Fastify', parts: undefined, bare: true },
  { id: 'span + plugin, all parts', parts: {} },
  { id: 'span + plugin, idempotency off', parts: { idempotency: false } },
  { id: 'span + plugin, metrics off', parts: { metrics: false } },
  { id: 'span + plugin, tenant and idempotency off', parts: { tenant: false, idempotency: false } },
  {
    id: 'span + plugin, errors only',
    parts: { tenant: false, idempotency: false, metrics: false },
  },
  { id: 'span + hand-rolled idempotency and histogram (yardstick)', handRolled: true },
];

// Before any app is built: the metrics API has no proxy, so the yardstick's
// histogram, asked for earlier, would be a no-op one.
registerSdk({ spanProcessors: [new TenantSpanProcessor()], batch: true });
const cases = [];
for (const row of ROWS) {
  const app = Fastify();
  if (row.parts !== undefined) {
    const idempotency = row.parts.idempotency ?? { store: new MemoryStore() };
    await app.register(bulwark, { ...row.parts, idempotency });
  }
  if (row.handRolled) addHandRolledIdempotency(app);
  if (!row.bare) addSpanHooks(app);
  app.post('/transfers', async (request, reply) =>
    reply.code(201).send({ id: 'tr_1', status: 'accepted', amount: request.body.amount }),
  );
  await app.ready();
  cases.push({ id: row.id, handler: app.routing });
}
process.stdout.write(`${await pairedCpuTable(cases, values)}\n`);
