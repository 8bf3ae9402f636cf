/**
 * A simulated bank on loopback that fails the way real banks do. It honours
 * `Idempotency-Key` (the same key executes once and answers the same
 * `bankReference` again) and counts every request, so a test or the demo can
 * prove that retries never moved money twice.
 *
 *   POST /payments  { transferId, amount, currency, from, to } + Idempotency-Key
 *                   201 executed | 200 + Idempotent-Replayed: true | 400 | 422 key reused
 *                   for another payment | 503 (fault) | connection reset (fault)
 *   GET  /stats     { hits, executions, replays, mismatches, rejected, faults, keys }
 *   POST /control   FaultSettings (see faults.mjs) -> 200 { mode }
 *   GET  /healthz   200
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createFaults, parseFaultSettings } from './faults.mjs';
import { createLedger } from './ledger.mjs';

/**
 * @typedef {object} BankOptions
 * @property {number} [port] TCP port; default 0 (a free one)
 * @property {string} [host] interface; default `127.0.0.1`
 * @property {number} [maxBodyBytes] largest request body accepted; default 65536
 */

/**
 * @typedef {object} Bank
 * @property {string} url base URL, such as `http://127.0.0.1:41234`
 * @property {number} port the port it listens on
 * @property {() => ReturnType<typeof snapshot>} stats the same numbers as `GET /stats`
 * @property {(settings: import('./faults.mjs').FaultSettings) => void} control switch the fault mode
 * @property {() => Promise<void>} close stop listening and drop every connection
 */

const DEFAULTS = { port: 0, host: '127.0.0.1', maxBodyBytes: 64 * 1024 };
const KEY = /^[\x21-\x7e]{1,255}$/;
const CURRENCY = /^[A-Z]{3}$/;

/** @typedef {{ hits: number, replays: number, mismatches: number, rejected: number }} Counters */

/**
 * Starts a bank and resolves once it listens.
 * @param {BankOptions} [options]
 * @returns {Promise<Bank>}
 */
export async function startBank(options = {}) {
  const { port, host, maxBodyBytes } = { ...DEFAULTS, ...options };
  const ledger = createLedger();
  const faults = createFaults();
  /** @type {Counters} */
  const counters = { hits: 0, replays: 0, mismatches: 0, rejected: 0 };
  const state = { ledger, faults, counters, maxBodyBytes };

  const server = createServer((req, res) => {
    route(state, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    stats: () => snapshot(state),
    control: (settings) => faults.set(settings),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** @param {{ ledger: ReturnType<typeof createLedger>, faults: ReturnType<typeof createFaults>, counters: Counters }} state */
function snapshot({ ledger, faults, counters }) {
  return { ...counters, ...ledger.snapshot(), faults: faults.describe() };
}

/**
 * @param {any} state
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function route(state, req, res) {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'POST' && path === '/payments') return payments(state, req, res);
  if (req.method === 'GET' && path === '/stats') return send(res, 200, snapshot(state));
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'POST' && path === '/control') {
    const body = await readJson(req, state.maxBodyBytes);
    const parsed = parseFaultSettings(body.ok ? body.value : undefined);
    if (!parsed.ok) return send(res, 400, { error: parsed.error });
    state.faults.set(parsed.settings);
    return send(res, 200, { mode: parsed.settings.mode });
  }
  send(res, 404, { error: 'not found' });
}

/**
 * @param {any} state
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 */
async function payments(state, req, res) {
  const { ledger, faults, counters } = state;
  counters.hits += 1;
  const key = req.headers['idempotency-key'];
  const body = await readJson(req, state.maxBodyBytes);
  if (typeof key !== 'string' || !KEY.test(key)) return reject(res, counters, 'Idempotency-Key');
  ledger.countHit(key);
  const payment = body.ok ? parsePayment(body.value) : undefined;
  if (payment === undefined) return reject(res, counters, 'payment body');

  const fault = faults.next();
  if (fault.kind === 'unavailable') {
    if (fault.retryAfterS !== undefined) res.setHeader('Retry-After', String(fault.retryAfterS));
    return send(res, 503, { error: 'bank unavailable' });
  }
  if (fault.kind === 'reset' && !fault.afterExecute) return void req.socket.destroy();

  const result = ledger.execute(key, payment);
  if (result.outcome === 'mismatch') {
    counters.mismatches += 1;
    return send(res, 422, { error: 'Idempotency-Key reused for a different payment' });
  }
  if (fault.kind === 'reset') return void req.socket.destroy();
  if (fault.kind === 'slow') await sleep(fault.delayMs);
  const { bankReference, transferId, status } = result.execution;
  if (result.outcome === 'replayed') {
    counters.replays += 1;
    res.setHeader('Idempotent-Replayed', 'true');
  }
  send(res, result.outcome === 'executed' ? 201 : 200, { bankReference, transferId, status });
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {Counters} counters
 * @param {string} what
 */
function reject(res, counters, what) {
  counters.rejected += 1;
  send(res, 400, { error: `missing or invalid ${what}` });
}

/**
 * @param {unknown} value
 * @returns {import('./ledger.mjs').Payment | undefined}
 */
function parsePayment(value) {
  if (typeof value !== 'object' || value === null) return undefined;
  const { transferId, amount, currency, from, to } = /** @type {Record<string, unknown>} */ (value);
  const text = (/** @type {unknown} */ v) =>
    typeof v === 'string' && v.length > 0 && v.length <= 64;
  if (!text(transferId) || !text(from) || !text(to)) return undefined;
  if (!Number.isSafeInteger(amount) || /** @type {number} */ (amount) <= 0) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  return /** @type {import('./ledger.mjs').Payment} */ ({ transferId, amount, currency, from, to });
}

/**
 * Reads a JSON body of at most `maxBytes`; never throws.
 * @param {import('node:http').IncomingMessage} req
 * @param {number} maxBytes
 * @returns {Promise<{ ok: true, value: unknown } | { ok: false }>}
 */
async function readJson(req, maxBytes) {
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += chunk.length;
      if (size > maxBytes) return { ok: false };
      chunks.push(chunk);
    }
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function send(res, status, body) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
