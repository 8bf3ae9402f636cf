/**
 * Runs the simulated bank as its own process:
 *
 *   PORT=4000 node examples/bank-simulator/main.mjs
 *
 * `PORT` defaults to 0 (a free port); `HOST` to 127.0.0.1. Logs
 * `listening on <port>` when ready and stops on SIGTERM or SIGINT.
 */
import { startBank } from './bank.mjs';

const port = Number(process.env.PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer 0-65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const bank = await startBank({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`listening on ${bank.port}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    bank.close().then(() => process.exit(0));
  });
}
