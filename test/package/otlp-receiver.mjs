/**
 * A real OTLP/HTTP receiver for the checks, on 127.0.0.1: it accepts
 * `http/json` exports at `POST /v1/traces` and keeps every span it was sent.
 */
import { createServer } from 'node:http';

/** Starts the receiver; `spans` lists what arrived, flattened, with attributes as an object. */
export async function startOtlpReceiver() {
  const spans = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        spans.push(...flatten(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    spans,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function flatten(body) {
  return (body.resourceSpans ?? []).flatMap((resource) =>
    (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        scope: scope.scope?.name,
        name: span.name,
        kind: span.kind,
        attributes: Object.fromEntries(
          (span.attributes ?? []).map(({ key, value }) => [key, Object.values(value ?? {})[0]]),
        ),
      })),
    ),
  );
}
