/**
 * The service's own HTTP edges: JSON-only bodies of at most 64 KiB, transfer
 * validation, and problem+json answers for the errors this service raises
 * itself. bulwark's errorHandler() answers everything else.
 */
import express from 'express';
import { BankRefusedResendError, BankRejectedError, BankUnavailableError } from './bank-client.mjs';
import { validateTransfer } from './transfers.mjs';

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Writes an RFC 9457 problem. `type` is stable per kind of problem, so clients
 * branch on it; `detail` never carries internals.
 * @param {import('express').Response} res
 * @param {{ status: number, slug: string, title: string, detail?: string, retryAfterMs?: number } & Record<string, unknown>} problem
 */
export function sendProblem(res, { status, slug, title, retryAfterMs, ...rest }) {
  if (res.headersSent) return;
  if (retryAfterMs !== undefined) {
    res.set('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  }
  res
    .status(status)
    .type('application/problem+json')
    .set('Cache-Control', 'no-store')
    .send(JSON.stringify({ type: `urn:payments-service:problem:${slug}`, title, status, ...rest }));
}

/** Refuses anything but a JSON body with 415, before reading it. */
export function requireJson() {
  return function requireJsonMiddleware(
    /** @type {import('express').Request} */ req,
    /** @type {import('express').Response} */ res,
    /** @type {import('express').NextFunction} */ next,
  ) {
    if (req.is('application/json')) return next();
    sendProblem(res, {
      status: 415,
      slug: 'unsupported-media-type',
      title: 'The body must be application/json',
    });
  };
}

/** Parses the JSON body, capped at {@link MAX_BODY_BYTES}; errorHandler() answers its errors. */
export function parseJson() {
  return express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' });
}

/** Validates the transfer; puts it on `res.locals.transfer` or answers 400. */
export function validTransfer() {
  return function validTransferMiddleware(
    /** @type {import('express').Request} */ req,
    /** @type {import('express').Response} */ res,
    /** @type {import('express').NextFunction} */ next,
  ) {
    const result = validateTransfer(req.body);
    if (result.ok) {
      res.locals.transfer = result.transfer;
      return next();
    }
    sendProblem(res, {
      status: 400,
      slug: 'invalid-transfer',
      title: 'The transfer is invalid',
      detail: result.errors.map((e) => `${e.field || 'body'}: ${e.detail}`).join('; '),
      errors: result.errors,
    });
  };
}

/**
 * Answers the bank failures this service raises itself: 503 when the outcome
 * is unknown (idempotency() does not record a 5xx, so the client's retry with
 * the same key runs again, sends the bank the identical payment under the same
 * key, and the bank replays the first result); 502 when the bank refused the
 * payment; 500 when it refused a re-sent key (a bug: the money may have moved
 * under the first payment, so never a final 4xx, and the key is released).
 * bulwark's errorHandler() answers the rest (deadlines and an open breaker as
 * 503 + Retry-After, body-parser errors as 4xx).
 * @type {import('express').ErrorRequestHandler}
 */
export function serviceErrors(error, _req, res, next) {
  if (error instanceof BankUnavailableError) {
    return sendProblem(res, {
      status: 503,
      slug: 'bank-unavailable',
      title: 'The bank is unavailable; retry with the same Idempotency-Key',
      retryAfterMs: error.retryAfterMs,
    });
  }
  if (error instanceof BankRejectedError) {
    return sendProblem(res, { status: 502, slug: 'bank-rejected', title: error.message });
  }
  if (error instanceof BankRefusedResendError) {
    return sendProblem(res, {
      status: 500,
      slug: 'bank-refused-resend',
      title:
        'Internal error: the outcome of this transfer is unknown; retry later with the same Idempotency-Key',
    });
  }
  next(error);
}

/** 404 for every route this service does not have. */
export function notFound() {
  return function notFoundMiddleware(
    /** @type {import('express').Request} */ _req,
    /** @type {import('express').Response} */ res,
  ) {
    sendProblem(res, { status: 404, slug: 'not-found', title: 'No such route' });
  };
}
