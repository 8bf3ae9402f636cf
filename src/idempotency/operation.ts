import { BulwarkError, ErrorCode } from '../errors.js';
import { activeOperation, enterOperation } from '../tenant/context.js';
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
  return new KeyedOperation(storageKey, tenantId);
}

/**
 * An operation whose `id` is derived on first read (a SHA-256 and a UUID's
 * strings): most handlers never ask for it, and a class, not an object literal
 * with a getter, which V8 builds through the runtime on every request
 * (`benchmarks/profile/in-process.mjs --alloc`).
 */
class KeyedOperation implements Operation {
  readonly #storageKey: string;
  readonly #tenantId: string | undefined;
  #id: string | undefined;
  #deriveKey: ((scope: string) => string) | undefined;

  constructor(storageKey: string, tenantId: string | undefined) {
    this.#storageKey = storageKey;
    this.#tenantId = tenantId;
  }

  get id(): string {
    this.#id ??= uuidFromDigest(hashFields([OPERATION_DOMAIN, this.#storageKey]));
    return this.#id;
  }

  /** What `JSON.stringify` wrote when `id` was an own property: a log line keeps it. */
  toJSON(): { id: string } {
    return { id: this.id };
  }

  /**
   * A function bound to this operation, made on first read and kept: `const
   * { deriveKey } = getOperation()` works, as it did when it was an own arrow
   * function, which cost a closure on every request that never derives a key.
   */
  get deriveKey(): (scope: string) => string {
    this.#deriveKey ??= (scope: string): string => {
      if (typeof scope !== 'string' || scope.length === 0) {
        throw new BulwarkError(
          ErrorCode.InvalidOptions,
          `deriveKey(scope): scope must be a non-empty string, got ${JSON.stringify(scope)}`,
        );
      }
      return uuidFromDigest(hashFields([DERIVED_KEY_DOMAIN, this.id, this.#tenantId, scope]));
    };
    return this.#deriveKey;
  }
}

/** The RFC 9562 variant (binary `10`) over the two low bits kept: `8`, `9`, `a`, `b`. */
const VARIANT_DIGITS = '89ab';

/**
 * Formats the first 128 bits of a hex SHA-256 digest as a UUID version 8
 * (RFC 9562's version for application-defined bits): strict downstreams that
 * demand a UUID-shaped key accept it, and its 122 free bits make collisions a
 * non-issue. Works on the hex text itself (no bytes decoded and re-encoded):
 * the version is the 13th digit, and the variant takes the top two bits of the
 * 17th, whose low two bits are kept.
 */
function uuidFromDigest(hexDigest: string): string {
  const variant = VARIANT_DIGITS[Number.parseInt(hexDigest.charAt(16), 16) & 0x3] ?? '8';
  return `${hexDigest.slice(0, 8)}-${hexDigest.slice(8, 12)}-8${hexDigest.slice(13, 16)}-${variant}${hexDigest.slice(17, 20)}-${hexDigest.slice(20, 32)}`;
}

/**
 * Runs `fn(a, b)` with `operation` as the active operation, and returns what
 * it returns. The operation rides with the tenant: in the OTel context when
 * its manager carries it, else in bulwark's own AsyncLocalStorage (see
 * `src/tenant/context.ts`).
 */
export function runInOperation<A, B, T>(
  operation: Operation,
  fn: (a: A, b: B) => T,
  a?: A,
  b?: B,
): T {
  return enterOperation(operation, fn, a as A, b as B);
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
  return activeOperation() as Operation | undefined;
}
