import type { Request } from 'express';
import { routeTemplate } from './route-template.js';

/**
 * The route the key is scoped to: what Express matched, so that one resource
 * is one scope. Inside a route, its whole template (`/v1/transfers/:id`,
 * mounts included). Otherwise (mounted with `app.use`, or a route whose
 * template is unknowable, such as an array of paths) the path as Express
 * matches it: case-folded unless `case sensitive routing` is on, and without
 * its trailing slash unless `strict routing` is on, so `/t`, `/T` and `/t/`
 * are one scope, as they are one route to Express.
 */
export function routeOf(req: Request): string {
  const template = routeTemplate(req);
  if (template !== undefined) return template;
  const path: unknown = req.route?.path;
  return matchedPath(req, req.baseUrl + (typeof path === 'string' ? path : req.path));
}

function matchedPath(req: Request, path: string): string {
  const app = req.app as Request['app'] | undefined;
  let matched = path;
  if (matched.length > 1 && matched.endsWith('/') && !enabled(app, 'strict routing')) {
    matched = matched.slice(0, -1);
  }
  return enabled(app, 'case sensitive routing') ? matched : matched.toLowerCase();
}

/**
 * `app.enabled(name)`, read from `app.settings` (a sub-app's inherit its
 * parent's through their prototype, on both majors): this runs for every
 * idempotent request mounted with `app.use` (the http-server benchmark).
 */
function enabled(app: Request['app'] | undefined, name: string): boolean {
  const settings = (app as { settings?: Record<string, unknown> } | undefined)?.settings;
  return settings === undefined ? app?.enabled(name) === true : Boolean(settings[name]);
}
