import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real node:http server on 127.0.0.1 that hands every request under
 * `/status` to `handler` (the way an application mounts it without a
 * framework), after `before` (e.g. the application's own CSP header).
 */
export async function serveStatus(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  before?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    before?.(req, res);
    if (
      req.url === '/status' ||
      req.url?.startsWith('/status/') ||
      req.url?.startsWith('/status?')
    ) {
      handler(req, res);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/status`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
