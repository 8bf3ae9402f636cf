/**
 * The span baseline of `server.mjs` (Express) or `fastify-server.mjs`
 * (Fastify) plus a busy wait of a fixed number of microseconds per request,
 * and nothing else: what a request path that costs N µs more of plain
 * JavaScript does to a server under load (`../profile/load-cost.mjs`).
 * argv[2] is `<framework>+spin<N>` (`express+spin8`, `fastify+spin0`); prints
 * one JSON line, `{ "port": n }`, when listening.
 */
import express from 'express';
import Fastify from 'fastify';
import { registerSdk } from '../otel-sdk.mjs';
import { addSpanHooks } from './fastify-span-hooks.mjs';
import { spanMiddleware } from './span-middleware.mjs';

const [framework, spin] = (process.argv[2] ?? '').split('+');
const spinUs = Number(spin?.replace(/^spin/, ''));
if (!['express', 'fastify'].includes(framework) || !Number.isFinite(spinUs)) {
  throw new Error(`expected <express|fastify>+spin<µs>, got ${process.argv[2]}`);
}

/** Busy for `spinUs` µs of wall time: JavaScript work of a known size, with no allocation. */
function spinWait() {
  const end = performance.now() + spinUs / 1000;
  while (performance.now() < end);
}

const answer = { id: 'tr_1', status: 'accepted' };
registerSdk({ batch: true });
let server;
if (framework === 'express') {
  const app = express();
  app.use(spanMiddleware());
  app.use(express.json());
  app.post('/transfers', (req, res) => {
    spinWait();
    res.status(201).json({ ...answer, amount: req.body.amount });
  });
  server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
} else {
  const app = Fastify();
  addSpanHooks(app);
  app.post('/transfers', async (request, reply) => {
    spinWait();
    return reply.code(201).send({ ...answer, amount: request.body.amount });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = app.server;
}
process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
process.on('SIGTERM', () => process.exit(0));
