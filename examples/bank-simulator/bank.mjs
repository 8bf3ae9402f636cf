/**
 * A simulated bank on loopback that fails the way real banks do. It honours
 * `Idempotency-Key` (the same key executes once and answers the same
 * `bankReference` again) and counts every request, so a test or the demo can
 * prove that retries never moved money twice.
 *
 *   POST /payments  { transferId, amount, currency, from, to } + Idempotency-Key
 *                   201 executed | 200 + Idempotent-Replayed: true (the same key with the
 *                   identical payment) | 400 | 422 the key was used for a payment that
 *                   differs in any field, transferId included | 503 (fault) | connection
 *                   dropped before or after processing (fault)
 *   GET  /stats     { hits, executions, replays, refused, rejected, faults, keys }
 *   POST /control   FaultSettings (see faults.mjs) -> 200 { mode }
 *   GET  /healthz   200
 */
import { createServer } from 'node:http';
import { createFaults, parseFaultSettings } from './faults.mjs';
import { readJson, send } from './http-json.mjs';
import { createLedger } from './ledger.mjs';
import { payments } from './payments.mjs';

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
 * @property {(settings: import('./faults.mjs').FaultSettings) => void} control switch the fault
 *   mode; throws a TypeError for settings `POST /control` would refuse with 400
 * @property {() => Promise<void>} close stop listening and drop every connection
 */

const DEFAULTS = { port: 0, host: '127.0.0.1', maxBodyBytes: 64 * 1024 };
/** @typedef {import('./payments.mjs').BankState} BankState */
/** @typedef {import('./payments.mjs').Counters} Counters */

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
  const counters = { hits: 0, replays: 0, refused: 0, rejected: 0 };
  /** @type {BankState} */
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
    control(settings) {
      // The same check as `POST /control`: a typo must not run another fault than the one meant.
      const parsed = parseFaultSettings(settings);
      if (!parsed.ok) throw new TypeError(`bank.control: ${parsed.error}`);
      faults.set(parsed.settings);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** @param {BankState} state */
function snapshot({ ledger, faults, counters }) {
  return { ...counters, ...ledger.snapshot(), faults: faults.describe() };
}

/**
 * @param {BankState} state
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
