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
 * instance, they are forwarded once on the response's prototype (the app's
 * `res` prototype in Express, never Node's own): a forwarder looks the
 * response up in a WeakMap and calls the real method when no capture is
 * active. (A sub-app's `res` prototype inherits from its parent app's, so
 * forwarders installed there still apply inside a sub-app.) A response whose
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

/**
 * One call of an intercepted method: its first three arguments (none of them
 * takes more) and how many were passed. Arguments, not an array: a rest array
 * per call was most of what a capture allocated (`benchmarks/profile/in-process.mjs --alloc`).
 */
export type InterceptedCall = (a: unknown, b: unknown, c: unknown, count: number) => unknown;

/** Receives every call of an intercepted method, and answers the observed getters. */
export type Interceptor = Readonly<Record<InterceptedMethod, InterceptedCall>> &
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

/** Sends `res`'s writing methods to `interceptor` until {@link Interception.restore}. */
export function intercept(res: ServerResponse, interceptor: Interceptor): Interception {
  const real = forwardedPrototype(res);
  if (real === undefined) return patchInstance(res, interceptor);
  active.set(res, interceptor);
  lastResponse = res;
  lastInterceptor = interceptor;
  return new Forwarding(real, res);
}

/**
 * An interception through the prototype's forwarders. A class, not an object
 * literal with a `restore` closure: one object per request rather than three
 * (scenario `http-server`, `benchmarks/profile/in-process.mjs --alloc`), and
 * its own flag rather than a WeakMap lookup says whether it was restored.
 */
class Forwarding implements Interception {
  readonly real: RealMethods;
  readonly #res: ServerResponse;
  #restored = false;

  constructor(real: RealMethods, res: ServerResponse) {
    this.real = real;
    this.#res = res;
  }

  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    const res = this.#res;
    // Only this interception's entry: a response is forwarded for one capture at a time.
    active.delete(res);
    if (lastResponse === res) {
      lastResponse = undefined;
      lastInterceptor = undefined;
    }
  }
}

/*
 * The response intercepted last, and its interceptor, tried before the
 * WeakMap: a handler usually answers at once (`res.json()`: a few
 * `setHeader`, then `end`), each call through a forwarder, all for the
 * response intercepted just before (the http-server benchmark). Cleared when
 * that interception ends, so it holds one response at most, never a set.
 */
let lastResponse: ServerResponse | undefined;
let lastInterceptor: Interceptor | undefined;

/** The active interceptor of `res`, if any. */
function interceptorOf(res: ServerResponse): Interceptor | undefined {
  return res === lastResponse ? lastInterceptor : active.get(res);
}

/** The real methods behind the forwarders of `res`'s prototype, or undefined when forwarding cannot be used. */
function forwardedPrototype(res: ServerResponse): RealMethods | undefined {
  if (active.has(res) || overridesAny(res)) return undefined; // nested capture, or patched: wrap it
  const proto: unknown = Object.getPrototypeOf(res);
  if (typeof proto !== 'object' || proto === null) return undefined;
  const known = forwarded.get(proto);
  if (known !== undefined) return known;
  if (proto === ServerResponse.prototype || !Object.isExtensible(proto)) return undefined;
  const real = realMethods(res);
  for (const name of INTERCEPTED) {
    const method = real[name];
    (proto as Record<string, Method>)[name] = function forwarder(
      this: ServerResponse,
      a?: unknown,
      b?: unknown,
      c?: unknown,
    ) {
      const interceptor = interceptorOf(this);
      return interceptor === undefined
        ? // biome-ignore lint/complexity/noArguments: passes every argument on, with no array made.
          method.apply(this, arguments as unknown as unknown[])
        : // biome-ignore lint/complexity/noArguments: the count, read without an array.
          interceptor[name](a, b, c, arguments.length);
    };
  }
  for (const name of OBSERVED) {
    const getter = realGetter(proto, name);
    Object.defineProperty(proto, name, {
      configurable: true,
      get(this: ServerResponse) {
        const interceptor = interceptorOf(this);
        return interceptor === undefined ? getter.call(this) : interceptor[name]();
      },
    });
  }
  forwarded.set(proto, real);
  return real;
}

/** Whether `res` itself overrides a method or getter the forwarders would take over. */
function overridesAny(res: ServerResponse): boolean {
  for (const name of INTERCEPTED) if (Object.hasOwn(res, name)) return true;
  for (const name of OBSERVED) if (Object.hasOwn(res, name)) return true;
  return false;
}

function patchInstance(res: ServerResponse, interceptor: Interceptor): Interception {
  const real = realMethods(res);
  const target = res as unknown as Record<InterceptedMethod, Method>;
  for (const name of INTERCEPTED) {
    target[name] = function patched(this: ServerResponse, a?: unknown, b?: unknown, c?: unknown) {
      // biome-ignore lint/complexity/noArguments: the count, read without an array.
      return interceptor[name](a, b, c, arguments.length);
    };
  }
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
