/**
 * One Fastify server variant per process, the counterpart of `server.mjs`.
 * argv[2] names the variant: `bare`, `otel-span`, `hand-rolled` (the span
 * hooks and `fastify-hand-rolled.mjs`, the yardstick) or `bulwark-<store>`
 * (`memory`, `redis`, `postgres`), with one part left out as
 * `bulwark-<store>-without-<part>` (see `bulwarkVariant` in stack.mjs);
 * prints one JSON line: `{ "port": n }` when listening, or
 * `{ "skip": reason }`. Every variant parses the JSON body and answers 201
 * with a small JSON body.
 */
import Fastify from 'fastify';
import { requireExports } from '../load.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { openStore } from '../stores.mjs';
import { addHandRolledIdempotency } from './fastify-hand-rolled.mjs';
import { addSpanHooks } from './fastify-span-hooks.mjs';
import { bulwarkVariant } from './stack.mjs';

/** Builds the app for `variant`, or returns `{ skip }`. */
async function build(variant) {
  const app = Fastify();
  if (variant === 'bare') return { app: route(app) };
  if (variant === 'otel-span' || variant === 'hand-rolled') {
    registerSdk({ batch: true });
    if (variant === 'hand-rolled') addHandRolledIdempotency(app);
    addSpanHooks(app);
    return { app: route(app) };
  }
  const plugin = await requireExports('fastify', ['bulwark']);
  if (!plugin.ok) return { skip: plugin.reason };
  const { store, without } = bulwarkVariant(variant);
  const opened = await openStore(store);
  if (opened.skip) return opened;
  const otel = await requireExports('otel', ['TenantSpanProcessor']);
  const spanProcessors = otel.ok ? [new otel.exports.TenantSpanProcessor()] : [];
  registerSdk({ spanProcessors, batch: true });
  const options = { idempotency: { store: opened.store } };
  for (const part of without) options[part] = false;
  await app.register(plugin.exports.bulwark, options);
  addSpanHooks(app);
  return { app: route(app), close: opened.close };
}

/** The same route for every variant; only the hooks around the handler differ. */
function route(app) {
  app.post('/transfers', async (request, reply) =>
    reply.code(201).send({ id: 'tr_1', status: 'accepted', amount: request.body.amount }),
  );
  return app;
}

const built = await build(process.argv[2]);
if (built.skip) {
  process.stdout.write(`${JSON.stringify({ skip: built.skip })}\n`);
  process.exit(0);
}
await built.app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: built.app.server.address().port })}\n`);
process.on('SIGTERM', async () => {
  await built.app.close();
  await built.close?.().catch((error) => console.error(`close failed: ${error}`));
  process.exit(0);
});
