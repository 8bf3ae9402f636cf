/**
 * `npm run demo`: the whole story on this machine, with no setup. Starts a
 * simulated bank that fails the way real banks do, starts the payments service
 * (a child process, memory store), drives several tenants through 503 bursts,
 * lost answers, slow answers and an outage, then prints what happened and
 * checks that no money moved twice. Exits 0 only if every invariant held.
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, the service's traces go there too.
 */
import { startBank } from '../bank-simulator/bank.mjs';
import { createClient } from './client.mjs';
import { checkInvariants } from './invariants.mjs';
import { startProgress } from './progress.mjs';
import { formatReport } from './report.mjs';
import { readBudget, readResilienceEvents, watchBreaker } from './service-info.mjs';
import { startService } from './service-process.mjs';
import { runWorkload } from './workload.mjs';

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
  const service = await startService({ ...DEMO_ENV, BANK_URL: bank.url });
  console.log(`bank on ${bank.url}, payments service on ${service.url} (memory store)`);

  const breaker = watchBreaker(service.url, elapsedMs);

  const client = createClient(service.url, startedAt);
  const progress = startProgress({
    exchanges: client.exchanges,
    executions: () => bank.stats().executions,
    elapsedMs,
  });
  let expect;
  try {
    expect = await runWorkload({ client, bank, setPhase: progress.setPhase, elapsedMs });
  } finally {
    progress.stop();
    await breaker.stop();
  }
  const [budget, events] = await Promise.all([
    readBudget(service.url),
    readResilienceEvents(service.url),
  ]);
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
  const invariants = checkInvariants({ ...evidence, elapsedMs: elapsedMs() });
  console.log(
    formatReport({
      ...evidence,
      clientRetries: client.counters.retries,
      serviceRetries: events.get('retry') ?? 0,
      budget,
      invariants,
      elapsedMs: elapsedMs(),
    }),
  );
  const failed = invariants.filter((i) => !i.ok).length;
  console.log(failed === 0 ? 'All invariants held.' : `${failed} invariant(s) FAILED.`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`\ndemo failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
