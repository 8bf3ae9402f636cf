/**
 * The payments service as an Express app, built from its dependencies so tests
 * can run it in-process and server.mjs can run it for real.
 *
 *   POST /transfers  Idempotency-Key + X-Tenant-Id (+ X-Jurisdiction), JSON body
 *                    -> 201 { id, status, bankReference }
 *   GET  /healthz    -> 200
 *   GET  /metrics    -> Prometheus text
 *   GET  /slo        -> the SLOs' error budgets, JSON
 *   GET  /status     -> the live status page (JSON on Accept: application/json)
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { getOperation } from 'bulwark';
import { errorHandler, idempotency, requestMetrics, tenant } from 'bulwark/express';
import express from 'express';
import { BankRefusedResendError } from './bank-client.mjs';
import { notFound, parseJson, requireJson, serviceErrors, validTransfer } from './http.mjs';
import { countRefusedResends, sloReport } from './telemetry.mjs';

/**
 * @typedef {object} AppDeps
 * @property {import('bulwark').IdempotencyStore} store the idempotency store
 * @property {ReturnType<typeof import('./bank-client.mjs').createBankClient>} bank
 * @property {import('express').RequestHandler} metrics answers `GET /metrics`
 * @property {ReturnType<typeof import('./telemetry.mjs').defineServiceSlos>} [slos] fed by every request; default none
 * @property {number} [leaseMs] how long a claimed key stays locked if this process dies; default bulwark's
 * @property {import('bulwark/status').StatusHandler} [status] answers `/status`; default none
 * @property {Logger} [logger] request logs; default none
 */

/** @typedef {Pick<import('pino').Logger, 'info' | 'warn' | 'error'>} Logger */

/**
 * Builds the app. Order matters: the tenant first (keys are scoped by it),
 * then the body is read and validated (bad input is never claimed, stored or
 * sent to the bank), then the key is claimed, then the handler runs.
 * @param {AppDeps} deps
 */
export function createApp({ store, bank, metrics, slos = [], leaseMs, status, logger = SILENT }) {
  const app = express();
  app.disable('x-powered-by');
  // Before requestMetrics: a status page's long-lived stream is not a request the SLOs count.
  // In production, put the service's own authentication in front of it: it shows internals.
  if (status !== undefined) app.use('/status', status);
  app.use(requestMetrics({ slos }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/metrics', metrics);
  app.get('/slo', sloReport(slos));
  app.post(
    '/transfers',
    tenant(),
    requireJson(),
    parseJson(),
    validTransfer(),
    idempotency(leaseMs === undefined ? { store } : { store, leaseMs }),
    createTransfer(bank, logger, countRefusedResends()),
  );
  app.use(notFound());
  app.use(serviceErrors);
  app.use(errorHandler());
  return app;
}

/** @type {Logger} */
const SILENT = { info() {}, warn() {}, error() {} };

const tracer = trace.getTracer('payments-service');

/**
 * The handler: one bank call, in a span that continues the caller's
 * `traceparent`, so the log lines (which carry `trace_id` and the tenant
 * through `logFields()`) join the caller's trace.
 *
 * The transfer id is the operation id and the bank's Idempotency-Key is
 * derived from the operation: both are the same in every execution of the
 * client's key (a re-run after a 5xx released it, a takeover after this or
 * another process died mid-payment), so every execution sends the bank the
 * identical payment under the same key, and the bank, which refuses a key
 * re-sent with other parameters, replays the first result instead.
 *
 * The call is not tied to the client's connection on purpose: once money may
 * move, finishing and recording the outcome matters more than a client that
 * hung up.
 * @param {AppDeps['bank']} bank
 * @param {Logger} logger
 * @param {() => void} countRefusedResend
 */
function createTransfer(bank, logger, countRefusedResend) {
  return async function createTransferHandler(
    /** @type {import('express').Request} */ req,
    /** @type {import('express').Response} */ res,
  ) {
    const operation = getOperation();
    // idempotency() runs this handler inside the operation; without one, the ids below would not
    // be stable, and a re-run would send the bank another payment under another key.
    if (operation === undefined) throw new Error('createTransfer must run behind idempotency()');
    const transferId = operation.id;
    const caller = propagation.extract(context.active(), req.headers);
    const { amount, currency } = res.locals.transfer;
    await tracer.startActiveSpan('transfer', {}, caller, async (span) => {
      try {
        const receipt = await bank.pay(
          { transferId, ...res.locals.transfer },
          { idempotencyKey: operation.deriveKey('bank-payment') },
        );
        logger.info({ transferId, amount, currency }, 'transfer completed');
        res.status(201).json({
          id: transferId,
          status: 'completed',
          bankReference: receipt.bankReference,
        });
      } catch (error) {
        if (error instanceof BankRefusedResendError) {
          countRefusedResend();
          logger.error({ transferId, amount, currency }, 'bank refused a re-sent payment');
        } else {
          const reason = error instanceof Error ? error.name : 'unknown';
          logger.warn({ transferId, amount, currency, reason }, 'transfer not completed');
        }
        throw error;
      } finally {
        span.end();
      }
    });
  };
}
