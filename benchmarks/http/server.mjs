/**
 * One Express server variant per process, so an SDK registered for one
 * variant never slows another. argv[2] names the variant: `bare`, `otel-span`,
 * `hand-rolled` (the span middleware and `express-hand-rolled.mjs`, the
 * yardstick) or `bulwark-<store>` (`memory`, `redis`, `postgres`), with one
 * part left out as `bulwark-<store>-without-<part>` (see `bulwarkVariant` in
 * stack.mjs), optionally with `+status` (the bulwark/status handler mounted
 * at /status, idle); prints one JSON line: `{ "port": n }` when listening, or `{ "skip": reason }`.
 * Every variant parses the JSON body and answers 201 with a small JSON body.
 */
import express from 'express';
import { requireExports } from '../load.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { openStore } from '../stores.mjs';
import { handRolledIdempotency, handRolledMetrics } from './express-hand-rolled.mjs';
import { spanMiddleware } from './span-middleware.mjs';
import { bulwarkStack, bulwarkVariant } from './stack.mjs';

/** Builds the app for `variant`, or returns `{ skip }`. */
async function build(name) {
  const variant = name.replace(/\+status$/, '');
  if (variant === name) return buildVariant(variant);
  const status = await requireExports('status', ['statusHandler']);
  if (!status.ok) return { skip: status.reason };
  const built = await buildVariant(variant);
  return built.skip ? built : { ...built, app: built.assemble(status.exports.statusHandler()) };
}

async function buildVariant(variant) {
  if (variant === 'bare') return { app: assemble({}) };
  if (variant === 'otel-span') {
    registerSdk({ batch: true });
    return { app: assemble({ span: true }) };
  }
  if (variant === 'hand-rolled') {
    registerSdk({ batch: true });
    const yardstick = { beforeBody: [handRolledMetrics()], afterBody: [handRolledIdempotency()] };
    return { app: assemble({ span: true, ...yardstick }) };
  }
  const { store, without } = bulwarkVariant(variant);
  const opened = await openStore(store);
  if (opened.skip) return opened;
  const stack = await bulwarkStack(opened.store, without);
  if (stack.skip) return stack;
  registerSdk({ spanProcessors: stack.spanProcessors, batch: true });
  return {
    app: assemble({ span: true, ...stack }),
    assemble: (status) => assemble({ span: true, ...stack, status }),
    close: opened.close,
  };
}

/** The same app for every variant; only the middleware around the handler differs. */
function assemble({ span = false, beforeBody = [], afterBody = [], afterRoutes = [], status }) {
  const app = express();
  if (status) app.use('/status', status);
  if (span) app.use(spanMiddleware());
  for (const middleware of beforeBody) app.use(middleware);
  app.use(express.json());
  for (const middleware of afterBody) app.use(middleware);
  app.post('/transfers', (req, res) => {
    res.status(201).json({ id: 'tr_1', status: 'accepted', amount: req.body.amount });
  });
  for (const middleware of afterRoutes) app.use(middleware);
  return app;
}

const built = await build(process.argv[2]);
if (built.skip) {
  process.stdout.write(`${JSON.stringify({ skip: built.skip })}\n`);
  process.exit(0);
}
const server = built.app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', async () => {
  server.close();
  await built.close?.().catch((error) => console.error(`close failed: ${error}`));
  process.exit(0);
});
