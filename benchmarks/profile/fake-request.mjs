/**
 * The http-server request (`POST /transfers`, JSON body, tenant headers, a
 * fresh Idempotency-Key) made in this process, without sockets: Node's own
 * IncomingMessage and ServerResponse over a socket stand-in that discards what
 * is written. Shared by `in-process.mjs` (Express) and `fastify-in-process.mjs`
 * (Fastify), so both frameworks are measured on the very same request.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { interleave, pairedDifference, pairedRatio, summarise } from '../harness.mjs';

/**
 * The command-line options every in-process script shares (`parseArgs`
 * options): paired rounds, requests per round, and requests in flight.
 */
export const IN_PROCESS_OPTIONS = {
  rounds: { type: 'string', default: '10' },
  requests: { type: 'string', default: '3000' },
  concurrency: { type: 'string', default: '10' },
};

const BODY = Buffer.from(
  JSON.stringify({ amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' }),
);
let nextKey = 0;

/** A socket stand-in: accepts and drops every write. */
function nullSocket() {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
    writev(_chunks, callback) {
      callback();
    },
  });
  socket.remoteAddress = '127.0.0.1';
  socket.setTimeout = () => socket;
  return socket;
}

/** One request through `handler` (`(req, res) => void`); resolves when its response closed, as a server would emit it. */
export function request(handler) {
  return new Promise((resolve, reject) => {
    const socket = nullSocket();
    const req = new IncomingMessage(socket);
    req.method = 'POST';
    req.url = '/transfers';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    req.rawHeaders = [
      'Host',
      '127.0.0.1',
      'Content-Type',
      'application/json',
      'Content-Length',
      String(BODY.length),
      'Idempotency-Key',
      `bench-${nextKey++}`,
      'X-Tenant-Id',
      'acme-payments',
      'X-Jurisdiction',
      'DE',
    ];
    // What Node's parser would fill in from those lines.
    const headers = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1];
    }
    req.headers = headers;
    // The parser marks a message complete once its body is in; an incomplete
    // one destroys its socket when the stream ends.
    req.complete = true;
    req.push(BODY);
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      // What the server does after 'finish' (resOnFinish): 'close' a tick later.
      res.detachSocket(socket);
      process.nextTick(() => {
        res.emit('close');
        if (res.statusCode !== 201) reject(new Error(`status ${res.statusCode}`));
        else resolve();
      });
    });
    handler(req, res);
  });
}

/** `count` requests, `concurrency` at a time; the process CPU they took, in µs per request. */
export async function cpuPerRequest(handler, count, concurrency) {
  const started = process.cpuUsage();
  let left = count;
  const worker = async () => {
    while (left-- > 0) await request(handler);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const { user, system } = process.cpuUsage(started);
  return (user + system) / count;
}

/**
 * Measures `cases` (`{ id, handler }`, the first the baseline) per the
 * command-line `values` (IN_PROCESS_OPTIONS): one warm-up pass each, then
 * interleaved rounds of CPU per request. Returns a markdown table of each
 * case's median, its extra over the baseline and its ratio to it, both paired
 * per round.
 */
export async function pairedCpuTable(cases, values) {
  const count = Number(values.requests);
  const concurrency = Number(values.concurrency);
  for (const c of cases) await cpuPerRequest(c.handler, count, concurrency);
  const series = await interleave(cases, Number(values.rounds), (c) =>
    cpuPerRequest(c.handler, count, concurrency),
  );
  const lines = [
    '| case | CPU µs/request, median | extra over baseline (paired) | ratio to baseline (paired) |',
    '| --- | ---: | ---: | ---: |',
  ];
  cases.forEach((c, i) => {
    const extra = pairedDifference(series[i], series[0]);
    const ratio = pairedRatio(series[i], series[0]);
    lines.push(
      `| ${c.id} | ${summarise(series[i]).median.toFixed(1)} | ${extra.median.toFixed(1)} [${extra.p25.toFixed(1)}-${extra.p75.toFixed(1)}] | ${ratio.median.toFixed(2)} [${ratio.p25.toFixed(2)}-${ratio.p75.toFixed(2)}] |`,
    );
  });
  return lines.join('\n');
}
