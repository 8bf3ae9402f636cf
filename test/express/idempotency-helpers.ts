import type { Express } from 'express';
import { withTenant } from '../../src/index.js';
import { type ExpressModule, rawRequest as rawHead, type Served, serve } from './serve.js';

/** A running test app on 127.0.0.1, port 0. */
export type RunningApp = Served;

const running: RunningApp[] = [];

/** Starts `app` on a loopback port; {@link closeAll} stops every app started. */
export async function listen(app: Express): Promise<RunningApp> {
  const handle = await serve(app);
  running.push(handle);
  return handle;
}

/** Stops every app {@link listen} started. */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((app) => app.close()));
}

/** An app of `express` whose requests run inside the tenant named by `X-Tenant` (when sent). */
export function tenantApp(express: ExpressModule): Express {
  const app = express();
  app.use((req, _res, next) => {
    const tenantId = req.get('x-tenant');
    if (tenantId === undefined) return next();
    withTenant({ tenantId, jurisdiction: 'DE' }, () => next());
  });
  return app;
}

/** Sends a JSON POST with an idempotency key. */
export function postJson(
  url: string,
  key: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * Sends raw request bytes (for what `fetch` refuses: two header lines, bytes
 * beyond ASCII), as a POST with an empty body. Resolves with the status and the raw response text.
 */
export function rawRequest(port: number, head: string): Promise<{ status: number; text: string }> {
  return rawHead(port, `${head}Content-Length: 0\r\n`);
}
