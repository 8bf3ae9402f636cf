/**
 * The payments service's main: reads the configuration, starts telemetry,
 * opens the idempotency store, serves, and stops gracefully on SIGTERM.
 *
 *   BANK_URL=http://127.0.0.1:4000 npm run example:payments
 *
 * Logs `listening on <port>` once ready.
 */
import { createServer } from 'node:http';
import { statusHandler } from 'bulwark/status';
import { createApp } from './app.mjs';
import { createBankClient, createBankFetch } from './bank-client.mjs';
import { ConfigError, readConfig } from './config.mjs';
import { createLogger } from './logger.mjs';
import { stopGracefullyOn } from './shutdown.mjs';
import { openStore } from './stores.mjs';
import { defineServiceSlos, startServiceTelemetry } from './telemetry.mjs';

/** @param {string} message */
function log(message) {
  console.error(`[payments-service] ${message}`);
}

async function main() {
  const config = readConfig(process.env);
  const telemetry = await startServiceTelemetry(config.serviceName, process.env);
  if (telemetry.status !== 'started') log(`telemetry ${telemetry.status}: ${telemetry.reason}`);
  const { logger } = createLogger(config.serviceName);
  const status = statusHandler({ title: `${config.serviceName} status` });
  const { store, close: closeStore } = await openStore(config);
  const bankFetch = createBankFetch({ name: 'bank', ...config.bankCalls });
  const bank = createBankClient({ bankUrl: config.bankUrl, fetch: bankFetch });
  const app = createApp({
    store,
    bank,
    metrics: telemetry.metricsHandler,
    slos: defineServiceSlos(),
    leaseMs: config.idempotencyLeaseMs,
    status,
    logger,
  });
  const server = createServer(app);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  console.log(`listening on ${port}`);
  stopGracefullyOn(server, {
    timeoutMs: config.shutdownTimeoutMs,
    log,
    // Open status pages hold a stream each; end them so draining does not wait on them.
    beforeDrain: () => status.closeStreams(),
    cleanup: async () => {
      await closeStore();
      await telemetry.shutdown();
    },
  });
}

main().catch((error) => {
  log(error instanceof ConfigError ? error.message : `failed to start: ${error?.stack ?? error}`);
  process.exit(1);
});
