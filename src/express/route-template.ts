import type { Request } from 'express';
import { layerPath, type RouterLayer } from './layer-path.js';

/*
 * `http.route` must be the route template (`/tenants/:tenant/transfers/:id`),
 * never the path a client sent. Express gives the matched route's own
 * template (`req.route.path`), but `req.baseUrl` holds the *actual* mount
 * path, so `app.use('/tenants/:tenant', router)` would put raw tenant ids in
 * it. So the mount templates are read from the router stacks instead: a
 * depth-first walk from the app's router to the layer of the matched route,
 * done once per route object and cached. When the template cannot be known
 * for sure (array paths, a router not reachable from the app), the answer is
 * `undefined`: no `http.route` beats a raw path. Works on Express 4 and 5
 * (see `layer-path.ts` for how their layers differ).
 */

interface Layer extends RouterLayer {
  readonly route?: unknown;
  readonly handle?: { readonly stack?: unknown };
}

interface App {
  /** Express 5: the app's router (a lazy getter). Express 4: a getter that throws. */
  readonly router?: { readonly stack?: unknown };
  /** Express 4: the app's router, created with the first route or middleware. */
  readonly _router?: { readonly stack?: unknown };
  /** Express 4 only. */
  readonly lazyrouter?: unknown;
  readonly mountpath?: unknown;
  readonly parent?: App;
}

const MAX_DEPTH = 16;
const cache = new WeakMap<object, WeakMap<object, string | null>>();

/** The route template of the route `req` matched, or `undefined` when none did or it is unknowable. */
export function routeTemplate(req: Request): string | undefined {
  const route = matchedRoute(req);
  const app = req.app as unknown as App | undefined;
  if (typeof route !== 'object' || route === null || app === undefined) return undefined;
  if (route === lastRoute && app === lastApp) return lastTemplate;
  const template = cachedTemplate(app, route);
  lastApp = app;
  lastRoute = route;
  lastTemplate = template;
  return template;
}

/**
 * The route `req` matched (`req.route`), or `undefined`. Express sets it on
 * the request itself, so it is read only when the request has it as its own:
 * a name missing from an Express `req` is looked up along its whole prototype
 * chain, and as every `req` has a hidden class of its own, that lookup is
 * never cached. `idempotency()` mounted with `app.use` runs before any route
 * matched, on every idempotent request (scenario `http-server`,
 * `benchmarks/profile/in-process.mjs --profile`).
 */
export function matchedRoute(req: Request): unknown {
  return Object.hasOwn(req, 'route') ? req.route : undefined;
}

/*
 * The template found last, tried before the WeakMaps: a request usually
 * matched the same route as the one before (and `routeTemplate` runs twice
 * per idempotent request, for the metrics and for the key's scope), so two
 * identity checks spare two WeakMap lookups (the http-server benchmark).
 * It keeps the last app and route reachable until a request of another
 * route replaces them: one app at most, never a growing set.
 */
let lastApp: App | undefined;
let lastRoute: object | undefined;
let lastTemplate: string | undefined;

function cachedTemplate(app: App, route: object): string | undefined {
  let byRoute = cache.get(app);
  if (byRoute === undefined) {
    byRoute = new WeakMap();
    cache.set(app, byRoute);
  }
  let template = byRoute.get(route);
  if (template === undefined) {
    template = findTemplateSafely(app, route) ?? null;
    byRoute.set(route, template);
  }
  return template ?? undefined;
}

// This runs in 'finish' listeners: a throwing getter of some Express version
// must cost the attribute, never the process.
function findTemplateSafely(app: App, route: object): string | undefined {
  try {
    return findTemplate(app, route);
  } catch {
    return undefined;
  }
}

function findTemplate(app: App, route: object): string | undefined {
  const appPrefix = mountPrefix(app);
  if (appPrefix === undefined) return undefined;
  const local = search(routerOf(app)?.stack, route, '', 0);
  return local === undefined ? undefined : join(appPrefix, local);
}

// Express 4's `app.router` is a getter that throws ("'app.router' is deprecated!").
function routerOf(app: App): { readonly stack?: unknown } | undefined {
  return typeof app.lazyrouter === 'function' ? app._router : app.router;
}

// Sub-apps (`app.use('/v1', subApp)`) record their mount template in `mountpath`.
function mountPrefix(app: App): string | undefined {
  let prefix = '';
  for (
    let current: App | undefined = app;
    current?.parent !== undefined;
    current = current.parent
  ) {
    if (typeof current.mountpath !== 'string') return undefined;
    prefix = trimSlash(current.mountpath) + prefix;
  }
  return prefix;
}

function search(stack: unknown, route: object, prefix: string, depth: number): string | undefined {
  if (!Array.isArray(stack) || depth > MAX_DEPTH) return undefined;
  for (const layer of stack as Layer[]) {
    if (layer.route === route) {
      const path: unknown = (route as { path?: unknown }).path;
      return typeof path === 'string' ? join(prefix, path) : undefined;
    }
    const inner = layer.handle?.stack;
    if (inner === undefined) continue;
    const mount = layerPath(layer);
    if (mount === undefined) continue;
    const found = search(inner, route, prefix + mount, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function join(prefix: string, path: string): string {
  if (prefix === '') return path;
  return path === '/' ? prefix : prefix + path;
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
