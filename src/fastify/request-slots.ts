import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tenant } from '../tenant/types.js';
import type { FastifyExchange } from './fastify-exchange.js';

/*
 * What the plugin keeps per request, in fields Fastify's request constructor
 * sets (`decorateRequest`, symbol keys the application never sees), rather
 * than in WeakMaps keyed by the request (or Node's request). A WeakMap entry
 * costs a lookup of the key's identity hash on every set and get, and V8's
 * young-generation GC keeps its value alive for as long as the entry exists,
 * whether its key is reachable or not: a stale entry carried its request's
 * objects into the old generation. A declared field is a plain store and
 * load on an object of a stable shape (scenario `http-server-fastify`,
 * profiled by `benchmarks/profile/fastify-in-process.mjs --profile`).
 */

const TENANT = Symbol('bulwark.tenant');
const EXCHANGE = Symbol('bulwark.exchange');

interface Slots {
  [TENANT]: Tenant | null;
  [EXCHANGE]: FastifyExchange | null;
}

type SlottedRequest = FastifyRequest & Slots;

/**
 * Declares the slots on `instance`'s requests, once: a second registration of
 * the plugin (or a child context of the first) finds them declared.
 */
export function declareRequestSlots(instance: FastifyInstance): void {
  for (const name of [TENANT, EXCHANGE]) {
    if (!instance.hasRequestDecorator(name)) instance.decorateRequest(name, null);
  }
}

/** The tenant the plugin resolved for `request`, if any. */
export function tenantOf(request: FastifyRequest): Tenant | undefined {
  return (request as SlottedRequest)[TENANT] ?? undefined;
}

/** Records the tenant the plugin resolved for `request`. */
export function setTenant(request: FastifyRequest, tenant: Tenant): void {
  (request as SlottedRequest)[TENANT] = tenant;
}

/** The exchange of `request`, while idempotency handles it. */
export function exchangeOf(request: FastifyRequest): FastifyExchange | undefined {
  return (request as SlottedRequest)[EXCHANGE] ?? undefined;
}

/** Sets (or, with `null`, clears) the exchange of `request`. */
export function setExchange(request: FastifyRequest, exchange: FastifyExchange | null): void {
  (request as SlottedRequest)[EXCHANGE] = exchange;
}
