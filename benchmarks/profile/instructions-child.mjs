/**
 * One case of `instructions.mjs`, run under valgrind: builds one app of the
 * http-server scenarios (`--framework express|fastify`, variant `bare`,
 * `otel-span`, `hand-rolled` or `bulwark-memory`, as `http/server.mjs` and
 * `http/fastify-server.mjs` build them, against the build in `BULWARK_DIST`;
 * `bulwark-memory-without-<part>` leaves one part out, see `bulwarkVariant`),
 * drives `warm` then `count` requests through it in this process
 * (`fake-request.mjs`: no sockets), and exits.
 *
 *   node instructions-child.mjs <framework> <variant> <warm> <count>
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import Fastify from 'fastify';
import { handRolledIdempotency, handRolledMetrics } from '../http/express-hand-rolled.mjs';
import { addHandRolledIdempotency } from '../http/fastify-hand-rolled.mjs';
import { addSpanHooks } from '../http/fastify-span-hooks.mjs';
import { spanMiddleware } from '../http/span-middleware.mjs';
import { bulwarkStack, bulwarkVariant } from '../http/stack.mjs';
import { DIST } from '../load.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { cpuPerRequest } from './fake-request.mjs';

const [framework, variant, warm, count] = process.argv.slice(2);
const fromDist = (subpath) => import(pathToFileURL(join(DIST, subpath, 'index.js')).href);
const { MemoryStore } = await fromDist('');
const { TenantSpanProcessor } = await fromDist('otel');
const bulwark = variant.startsWith('bulwark-');
const without = bulwark ? bulwarkVariant(variant).without : [];
// Before any app is built, as a service starts it (the metrics API has no proxy).
if (variant !== 'bare') {
  registerSdk({ spanProcessors: bulwark ? [new TenantSpanProcessor()] : [], batch: true });
}

const handler =
  framework === 'fastify' ? await fastifyApp() : framework === 'express' ? await expressApp() : 0;
if (handler === 0) throw new Error(`unknown framework ${framework}`);
await cpuPerRequest(handler, Number(warm), 10);
await cpuPerRequest(handler, Number(count), 10);
process.exit(0);

async function fastifyApp() {
  const app = Fastify();
  if (bulwark) {
    const { bulwark: plugin } = await fromDist('fastify');
    const options = { idempotency: { store: new MemoryStore() } };
    for (const part of without) options[part] = false;
    await app.register(plugin, options);
  }
  if (variant === 'hand-rolled') addHandRolledIdempotency(app);
  if (variant !== 'bare') addSpanHooks(app);
  app.post('/transfers', async (request, reply) =>
    reply.code(201).send({ id: 'tr_1', status: 'accepted', amount: request.body.amount }),
  );
  await app.ready();
  return app.routing;
}

async function expressApp() {
  const parts = { beforeBody: [], afterBody: [], afterRoutes: [] };
  if (variant === 'hand-rolled') {
    parts.beforeBody.push(handRolledMetrics());
    parts.afterBody.push(handRolledIdempotency());
  }
  if (bulwark) Object.assign(parts, await bulwarkStack(new MemoryStore(), without));
  const app = express();
  if (variant !== 'bare') app.use(spanMiddleware());
  for (const middleware of parts.beforeBody) app.use(middleware);
  app.use(express.json());
  for (const middleware of parts.afterBody) app.use(middleware);
  app.post('/transfers', (req, res) => {
    res.status(201).json({ id: 'tr_1', status: 'accepted', amount: req.body.amount });
  });
  for (const middleware of parts.afterRoutes) app.use(middleware);
  return app;
}
