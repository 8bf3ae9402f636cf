/**
 * A process that serves bulwark's status page over state like a busy
 * service's (three pipelines, 200 keyed breakers and budgets, a per-tenant
 * bulkhead over 50 tenants, two SLOs, idempotency outcomes), and reports its
 * own CPU time on `GET /cpu`, so a scenario can charge an open page's live
 * updates to it. Prints `{ "port": n }` or `{ "skip": reason }`.
 */
import { createServer } from 'node:http';
import { requireExports } from '../load.mjs';

const root = await requireExports('', ['resilient', 'withTenant', 'keyByTenant', 'MemoryStore']);
const building = await requireExports('idempotency', ['createIdempotencyEngine']);
const status = await requireExports('status', ['statusHandler']);
const slo = await requireExports('slo', ['defineSlo']);
for (const loaded of [root, building, status, slo]) {
  if (!loaded.ok) {
    process.stdout.write(`${JSON.stringify({ skip: loaded.reason })}\n`);
    process.exit(0);
  }
}
const { resilient, withTenant, keyByTenant, MemoryStore } = root.exports;
const { createIdempotencyEngine } = building.exports;
const handler = status.exports.statusHandler({ updateIntervalMs: 1_000 });

const fail = () => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
const bank = resilient('bank', {
  retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
  bulkhead: { keyBy: keyByTenant },
});
for (let i = 0; i < 200; i++) {
  const key = `https://bank-${i}.example`;
  for (let j = 0; j < 5; j++) {
    await withTenant({ tenantId: `tenant-${i % 50}` }, () =>
      bank.execute(j === 0 && i % 20 === 0 ? fail : () => 'ok', { key }).catch(() => undefined),
    );
  }
}
resilient('ledger');
resilient('fx', { breaker: { mode: 'consecutive' } });
for (const name of ['transfers-availability', 'transfers-latency']) {
  const objective = slo.exports.defineSlo({
    name,
    sli: { kind: 'availability' },
    objective: 0.999,
  });
  for (let i = 0; i < 1_000; i++) {
    objective.record({
      method: 'POST',
      route: '/t',
      statusCode: i % 50 ? 201 : 503,
      durationSeconds: 0.02,
    });
  }
}
const engine = createIdempotencyEngine({ store: new MemoryStore() });
const op = async () => ({
  response: { status: 201, headers: {}, body: new Uint8Array() },
  record: true,
});
for (let i = 0; i < 1_000; i++) await engine.execute({ key: `k${i % 700}`, fingerprint: 'f' }, op);

const server = createServer((req, res) => {
  if (req.url === '/cpu') {
    const { user, system } = process.cpuUsage();
    res.end(JSON.stringify({ cpuMs: (user + system) / 1000, wallMs: performance.now() }));
  } else handler(req, res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  handler.closeStreams();
  server.close();
  process.exit(0);
});
