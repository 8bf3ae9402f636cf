/**
 * `npm run demo`: the whole story on this machine, with no setup. Starts a
 * simulated bank that fails the way real banks do (and refuses a key re-sent
 * with another payment), starts the payments service (a child process, memory
 * store), kills it mid-payment and starts it again, drives several tenants
 * through 503 bursts, lost answers, slow answers, answers dropped until the
 * breaker opens and an outage, then prints what happened and checks that no
 * money moved twice. Exits 0 only if every invariant held.
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, the service's traces go there too.
 *
 *   npm run demo              the story, then the report; exits when done
 *   npm run demo -- --hold    the same, then keeps the bank and the service up
 *                             (status page and all) until Ctrl-C, then reports
 */
import { startBank } from '../bank-simulator/bank.mjs';
import { createClient } from './client.mjs';
import { checkInvariants } from './invariants.mjs';
import { startProgress } from './progress.mjs';
import { formatReport } from './report.mjs';
import { readBudget, readResilienceEvents, watchBreaker } from './service-info.mjs';
import { startService } from './service-process.mjs';
import { runWorkload } from './workload.mjs';

const HOLD = process.argv.slice(2).includes('--hold');
const startedAt = performance.now();
const elapsedMs = () => performance.now() - startedAt;

// The service's knobs that make the story fit in a minute (see its config.mjs).
const DEMO_ENV = {
  IDEMPOTENCY_STORE: 'memory',
  OTEL_SERVICE_NAME: process.env.OTEL_SERVICE_NAME ?? 'payments-service-demo',
  BANK_BREAKER_BREAK_MS: '2000',
};

async function main() {
  console.log('bulwark demo: a flaky bank, the payments service, five tenants.');
  const bank = await startBank();
  let service = await startService({ ...DEMO_ENV, BANK_URL: bank.url });
  // A restart listens on the same port, so the clients and the status page keep their URL.
  const port = new URL(service.url).port;
  let retriesBeforeCrash = 0;
  async function restartService() {
    // The dying process's own retries, for the report; its metrics die with it.
    const events = await readResilienceEvents(service.url).catch(() => new Map());
    retriesBeforeCrash += events.get('retry') ?? 0;
    await service.kill();
    service = await startService({ ...DEMO_ENV, BANK_URL: bank.url, PORT: port });
  }
  console.log(`bank on ${bank.url}, payments service on ${service.url} (memory store)`);
  console.log(
    `status page: ${service.url}/status (live; open it in a browser to watch the outage)`,
  );
  if (!HOLD)
    console.log('(run `npm run demo -- --hold` to keep the service up for a look afterwards)');

  const breaker = watchBreaker(service.url, elapsedMs);

  const client = createClient(service.url, startedAt);
  const progress = startProgress({
    exchanges: client.exchanges,
    executions: () => bank.stats().executions,
    elapsedMs,
  });
  let expect;
  try {
    expect = await runWorkload({
      client,
      bank,
      setPhase: progress.setPhase,
      elapsedMs,
      restartService,
    });
  } finally {
    progress.stop();
    await breaker.stop();
  }
  const [budget, events] = await Promise.all([
    readBudget(service.url),
    readResilienceEvents(service.url),
  ]);
  // The story's own duration: time spent holding for a person is not part of it.
  const storyMs = elapsedMs();
  if (HOLD) await hold(service.url);
  const exitCode = await service.stop();
  const bankStats = bank.stats();
  await bank.close();

  const evidence = {
    exchanges: client.exchanges,
    expect,
    bank: bankStats,
    breaker: breaker.transitions,
    exitCode,
  };
  const invariants = checkInvariants({ ...evidence, elapsedMs: storyMs });
  console.log(
    formatReport({
      ...evidence,
      clientRetries: client.counters.retries,
      serviceRetries: retriesBeforeCrash + (events.get('retry') ?? 0),
      budget,
      invariants,
      elapsedMs: storyMs,
    }),
  );
  const failed = invariants.filter((i) => !i.ok).length;
  console.log(failed === 0 ? 'All invariants held.' : `${failed} invariant(s) FAILED.`);
  return failed === 0 ? 0 : 1;
}

/**
 * Keeps everything up until Ctrl-C (SIGINT) or SIGTERM, for a person to look
 * at the status page. Opt-in only: CI runs the demo without it.
 * @param {string} serviceUrl
 */
async function hold(serviceUrl) {
  console.log(`\nThe workload is done. Holding: the status page stays up at ${serviceUrl}/status`);
  console.log(`Try: curl -s -H 'accept: application/json' ${serviceUrl}/status`);
  console.log('Press Ctrl-C to stop and print the report.');
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`\ndemo failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
