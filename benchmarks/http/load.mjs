/**
 * The load generator, run as its own process so it does not share an event
 * loop with the server it measures. argv[2] is JSON `{ url, durationS,
 * connections }`; prints one JSON line with requests per second and latency.
 * Loopback only: the URL must be on 127.0.0.1.
 */
import autocannon from 'autocannon';

const { url, durationS, connections } = JSON.parse(process.argv[2]);
if (!new URL(url).hostname.startsWith('127.')) throw new Error(`refusing non-loopback ${url}`);

const result = await autocannon({
  url,
  method: 'POST',
  connections,
  duration: durationS,
  // [<id>] is replaced by a fresh id per request: every request is a new idempotency key.
  idReplacement: true,
  headers: {
    'content-type': 'application/json',
    'idempotency-key': 'bench-[<id>]',
    'x-tenant-id': 'acme-payments',
    'x-jurisdiction': 'DE',
  },
  body: JSON.stringify({ amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' }),
});

process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
