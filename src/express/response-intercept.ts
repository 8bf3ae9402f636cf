import { ServerResponse } from 'node:http';

/*
 * Routes a response's writing methods to an interceptor while a capture is
 * active, and back to the real methods afterwards.
 *
 * Why not simply assign the five methods on `res` and restore them later:
 * adding own properties to a `ServerResponse` changes its shape, and V8 pays
 * microseconds per added property on these large objects (about 3% of the CPU
 * of the whole benchmark stack). So, when nothing else has patched the
 * instance, the methods are forwarded once on the response's prototype (the
 * app's `res` prototype in Express, never Node's own): a forwarder looks the
 * response up in a WeakMap and calls the real method when no capture is
 * active. A response whose methods were already patched on the instance (by
 * another middleware, or a nested capture) gets instance patches as before,
 * so whatever wrapped it earlier still runs on the way out.
 */

/** The methods a capture takes over. */
export const INTERCEPTED = ['writeHead', 'write', 'end', 'flushHeaders', 'destroy'] as const;

/** One of {@link INTERCEPTED}. */
export type InterceptedMethod = (typeof INTERCEPTED)[number];

type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** The real methods, to call through. */
export type RealMethods = Readonly<Record<InterceptedMethod, Method>>;

/** Receives every call of an intercepted method, with its arguments. */
export type Interceptor = Readonly<Record<InterceptedMethod, (args: unknown[]) => unknown>>;

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
  for (const name of INTERCEPTED) if (Object.hasOwn(res, name)) return undefined;
  const proto: unknown = Object.getPrototypeOf(res);
  if (typeof proto !== 'object' || proto === null) return undefined;
  const known = forwarded.get(proto);
  if (known !== undefined) return known;
  if (proto === ServerResponse.prototype || !Object.isExtensible(proto)) return undefined;
  const real = realMethods(res);
  for (const name of INTERCEPTED) {
    const method = real[name];
    (proto as Record<string, Method>)[name] = function forwarder(this: ServerResponse, ...args) {
      const interceptor = active.get(this);
      return interceptor === undefined ? method.apply(this, args) : interceptor[name](args);
    };
  }
  forwarded.set(proto, real);
  return real;
}

function patchInstance(res: ServerResponse, interceptor: Interceptor): Interception {
  const real = realMethods(res);
  const target = res as unknown as Record<InterceptedMethod, Method>;
  for (const name of INTERCEPTED) target[name] = (...args) => interceptor[name](args);
  let restored = false;
  return {
    real,
    restore() {
      if (restored) return;
      restored = true;
      Object.assign(res, real);
    },
  };
}

function realMethods(res: ServerResponse): RealMethods {
  const methods = res as unknown as RealMethods;
  return {
    writeHead: methods.writeHead,
    write: methods.write,
    end: methods.end,
    flushHeaders: methods.flushHeaders,
    destroy: methods.destroy,
  };
}
