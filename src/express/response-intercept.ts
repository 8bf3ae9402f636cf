import { ServerResponse } from 'node:http';

/*
 * Routes a response's writing methods, and the two getters that say how far
 * its answer got (`headersSent`, `writableEnded`), to an interceptor while a
 * capture is active, and back to the real ones afterwards.
 *
 * Why not simply assign them on `res` and restore them later: adding own
 * properties to a `ServerResponse` changes its shape, and V8 pays
 * microseconds per added property on these large objects (about 3% of the CPU
 * of the whole benchmark stack). So, when nothing else has patched the
 * instance, they are forwarded once on Express's response prototype (the
 * object right above `http.ServerResponse.prototype`, never Node's own): a
 * forwarder looks the response up in a WeakMap and calls the real method when
 * no capture is active. That prototype, not the app's own `res` prototype,
 * because Express swaps `res`'s prototype to the sub-app's when a request
 * enters a sub-app (`app.use('/v1', subApp)`): the app's forwarders would be
 * bypassed there, and a capture would never see the answer. A response whose
 * methods were already patched on the instance (by another middleware, or a
 * nested capture) gets instance patches as before, so whatever wrapped it
 * earlier still runs on the way out.
 */

/** The methods a capture takes over. */
export const INTERCEPTED = [
  'writeHead',
  'write',
  'end',
  'flushHeaders',
  'destroy',
  'setHeader',
  'appendHeader',
  'removeHeader',
] as const;

/** The getters a capture answers, so `res` reports what would be true had its bytes gone out. */
export const OBSERVED = ['headersSent', 'writableEnded'] as const;

/** One of {@link INTERCEPTED}. */
export type InterceptedMethod = (typeof INTERCEPTED)[number];

/** One of {@link OBSERVED}. */
export type ObservedState = (typeof OBSERVED)[number];

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;
type Getter = (this: ServerResponse) => boolean;

/** The real methods, to call through. */
export type RealMethods = Readonly<Record<InterceptedMethod, Method>>;

/** Receives every call of an intercepted method (with its arguments), and answers the observed getters. */
export type Interceptor = Readonly<Record<InterceptedMethod, (args: unknown[]) => unknown>> &
  Readonly<Record<ObservedState, () => boolean>>;

/** An active interception. */
export interface Interception {
  /** The methods as they were before; call these to really write. */
  readonly real: RealMethods;
  /** Hands the methods back; safe to call twice. */
  restore(): void;
}

const active = new WeakMap<ServerResponse, Interceptor>();
/** Prototypes carrying forwarders, with the methods that were there before. */
const forwarded = new WeakMap<object, RealMethods>();
/** How far up from `res` the forwarding prototype may be (res → app.response → express.response). */
const MAX_PROTOTYPE_DEPTH = 8;

/** Sends `res`'s writing methods to `interceptor` until {@link Interception.restore}. */
export function intercept(res: ServerResponse, interceptor: Interceptor): Interception {
  const real = forwardedPrototype(res);
  if (real === undefined) return patchInstance(res, interceptor);
  active.set(res, interceptor);
  return {
    real,
    restore() {
      if (active.get(res) === interceptor) active.delete(res);
    },
  };
}

/** The real methods behind the forwarders of `res`'s prototype, or undefined when forwarding cannot be used. */
function forwardedPrototype(res: ServerResponse): RealMethods | undefined {
  if (active.has(res)) return undefined; // nested capture: wrap the outer one
  const target = forwardingTarget(res);
  if (target === undefined) return undefined;
  const known = forwarded.get(target);
  if (known !== undefined) return known;
  if (!Object.isExtensible(target)) return undefined;
  const real = realMethods(target);
  for (const name of INTERCEPTED) {
    const method = real[name];
    (target as Record<string, Method>)[name] = function forwarder(this: ServerResponse, ...args) {
      const interceptor = active.get(this);
      return interceptor === undefined ? method.apply(this, args) : interceptor[name](args);
    };
  }
  for (const name of OBSERVED) {
    const getter = realGetter(target, name);
    Object.defineProperty(target, name, {
      configurable: true,
      get(this: ServerResponse) {
        const interceptor = active.get(this);
        return interceptor === undefined ? getter.call(this) : interceptor[name]();
      },
    });
  }
  forwarded.set(target, real);
  return real;
}

/**
 * The prototype right above `http.ServerResponse.prototype` in `res`'s chain
 * (Express's shared `response`), or undefined when there is none or something
 * below it already overrides a method or getter we would forward.
 */
function forwardingTarget(res: ServerResponse): object | undefined {
  let current: object = res;
  for (let depth = 0; depth < MAX_PROTOTYPE_DEPTH; depth += 1) {
    const next: unknown = Object.getPrototypeOf(current);
    if (typeof next !== 'object' || next === null) return undefined;
    if (current !== res && next === ServerResponse.prototype) return current;
    if (overridesAny(current)) return undefined;
    current = next;
  }
  return undefined;
}

function overridesAny(object: object): boolean {
  for (const name of INTERCEPTED) if (Object.hasOwn(object, name)) return true;
  for (const name of OBSERVED) if (Object.hasOwn(object, name)) return true;
  return false;
}

function patchInstance(res: ServerResponse, interceptor: Interceptor): Interception {
  const real = realMethods(res);
  const target = res as unknown as Record<InterceptedMethod, Method>;
  for (const name of INTERCEPTED) target[name] = (...args) => interceptor[name](args);
  const ownGetters = OBSERVED.map((name) => Object.getOwnPropertyDescriptor(res, name));
  for (const name of OBSERVED) {
    Object.defineProperty(res, name, { configurable: true, get: () => interceptor[name]() });
  }
  let restored = false;
  return {
    real,
    restore() {
      if (restored) return;
      restored = true;
      Object.assign(res, real);
      OBSERVED.forEach((name, i) => {
        const own = ownGetters[i];
        if (own === undefined) delete (res as unknown as Record<string, unknown>)[name];
        else Object.defineProperty(res, name, own);
      });
    },
  };
}

function realMethods(object: object): RealMethods {
  const methods = object as unknown as RealMethods;
  return {
    writeHead: methods.writeHead,
    write: methods.write,
    end: methods.end,
    flushHeaders: methods.flushHeaders,
    destroy: methods.destroy,
    setHeader: methods.setHeader,
    appendHeader: methods.appendHeader,
    removeHeader: methods.removeHeader,
  };
}

/** The getter `name` resolves to from `object`, walking up its prototype chain. */
function realGetter(object: object, name: ObservedState): Getter {
  for (let current: object | null = object; current !== null; ) {
    const descriptor = Object.getOwnPropertyDescriptor(current, name);
    if (descriptor?.get !== undefined) return descriptor.get as Getter;
    current = Object.getPrototypeOf(current) as object | null;
  }
  throw new TypeError(`a ServerResponse without a ${name} getter`);
}
