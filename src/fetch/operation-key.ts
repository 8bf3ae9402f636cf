import { getOperation, type Operation } from '../idempotency/operation.js';
import type { OutgoingRequest } from './request.js';

/**
 * How many keyed calls each execution of an operation has made to each
 * target so far. Keyed by the operation object, which is new for every
 * execution, so a re-run counts from one again and derives the same keys.
 */
const callsPerOperation = new WeakMap<Operation, Map<string, number>>();

/**
 * The idempotency key of a POST or PATCH made inside an operation (the
 * handler `idempotency()` runs), when the caller set none: derived from the
 * operation, so every attempt and every execution of the same client key
 * sends the same key, with the same payment under it. Two calls differ by
 * method, origin, path and their ordinal among calls to that target: a
 * handler that makes the same calls in the same order derives the same keys.
 * `undefined` outside an operation.
 */
export function operationKey(request: OutgoingRequest): string | undefined {
  const operation = getOperation();
  if (operation === undefined) return undefined;
  const target = `${request.method} ${request.url.origin}${request.url.pathname}`;
  let calls = callsPerOperation.get(operation);
  if (calls === undefined) {
    calls = new Map();
    callsPerOperation.set(operation, calls);
  }
  const ordinal = (calls.get(target) ?? 0) + 1;
  calls.set(target, ordinal);
  return operation.deriveKey(`bulwark/fetch ${target} #${ordinal}`);
}
