import { AsyncLocalStorage } from 'node:async_hooks';
import { BulwarkError, ErrorCode } from '../errors.js';
import { hashFields } from './hash-fields.js';

/**
 * The identity of one logical operation: the work a client asked for under one
 * idempotency key. It is the same in every execution of that key (the first run,
 * a re-run after the key was released, a takeover after a crash, on any process,
 * with any store), because it is derived from what the store already scopes by:
 * the storage key (tenant, principal, method, route and client key, hashed).
 */
export interface Operation {
  /** A UUID (version 8, RFC 9562), stable across executions of the same key. */
  readonly id: string;
  /**
   * A stable idempotency key for one downstream purpose (`'bank-payment'`), as a
   * UUID: the same in every execution of this operation, different for another
   * scope, tenant or operation, and revealing nothing of the client's key.
   * Throws `BULWARK_INVALID_OPTIONS` for an empty scope.
   */
  deriveKey(scope: string): string;
}

const OPERATION_DOMAIN = 'bulwark.operation.id.v1';
const DERIVED_KEY_DOMAIN = 'bulwark.operation.derived-key.v1';

/**
 * The operation of one storage key. `tenantId` goes into every derived key as
 * well, so two tenants can never derive the same downstream key.
 */
export function operationFor(storageKey: string, tenantId: string | undefined): Operation {
  const id = uuidFromDigest(hashFields([OPERATION_DOMAIN, storageKey]));
  return {
    id,
    deriveKey(scope: string): string {
      if (typeof scope !== 'string' || scope.length === 0) {
        throw new BulwarkError(
          ErrorCode.InvalidOptions,
          `deriveKey(scope): scope must be a non-empty string, got ${JSON.stringify(scope)}`,
        );
      }
      return uuidFromDigest(hashFields([DERIVED_KEY_DOMAIN, id, tenantId, scope]));
    },
  };
}

/**
 * Formats the first 128 bits of a hex SHA-256 digest as a UUID version 8
 * (RFC 9562's version for application-defined bits): strict downstreams that
 * demand a UUID-shaped key accept it, and its 122 free bits make collisions a
 * non-issue.
 */
function uuidFromDigest(hexDigest: string): string {
  const bytes = Buffer.from(hexDigest.slice(0, 32), 'hex');
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * One store per process, kept under a `Symbol.for` key: the handler and the
 * `bulwark/fetch` it calls must see the same operation even when a bundler
 * gave them two copies of this module.
 */
const STORE = Symbol.for('bulwark.operation');
const registry = globalThis as { [STORE]?: AsyncLocalStorage<Operation> };
registry[STORE] ??= new AsyncLocalStorage<Operation>();
const activeOperation: AsyncLocalStorage<Operation> = registry[STORE];

/** Runs `fn` with `operation` as the active operation, and returns what `fn` returns. */
export function runInOperation<T>(operation: Operation, fn: () => T): T {
  return activeOperation.run(operation, fn);
}

/**
 * The operation being executed under an idempotency key (inside the handler
 * that `idempotency()` runs, and everything it awaits), or `undefined` outside one.
 *
 * @example
 * const op = getOperation();
 * await bank.pay({ transferId: op.id }, { idempotencyKey: op.deriveKey('bank-payment') });
 */
export function getOperation(): Operation | undefined {
  return activeOperation.getStore();
}
