import type { Context } from '@opentelemetry/api';

/**
 * `parent.setValue(key, value)`, as one small object over `parent`. The API's
 * context copies its parent's whole Map and makes three closures on each
 * `setValue`; `tenant()` enters the tenant's context and the engine the
 * operation's on every idempotent request (scenarios `http-server` and
 * `http-server-fastify`, `benchmarks/profile/fastify-in-process.mjs --alloc`),
 * and most handlers only read them. A context derived from this one
 * (`setValue`, `deleteValue`) is made from the API's own copy, built once on
 * first need, so only entries made this way in a row (a tenant, then its
 * operation) stack up as links, and a read walks one call per link.
 */
export function contextWith(parent: Context, key: symbol, value: unknown): Context {
  return new ContextWith(parent, key, value);
}

/** See {@link contextWith}. */
class ContextWith implements Context {
  readonly #parent: Context;
  readonly #key: symbol;
  readonly #value: unknown;
  #copy: Context | undefined;

  constructor(parent: Context, key: symbol, value: unknown) {
    this.#parent = parent;
    this.#key = key;
    this.#value = value;
  }

  getValue(key: symbol): unknown {
    return key === this.#key ? this.#value : this.#parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.#copied().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.#copied().deleteValue(key);
  }

  /** The API's own context with the same values, for what derives from this one. */
  #copied(): Context {
    this.#copy ??= this.#parent.setValue(this.#key, this.#value);
    return this.#copy;
  }
}
