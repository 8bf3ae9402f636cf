import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtobufSpans } from './otlp-protobuf.js';

/** One request the receiver got. */
export interface ReceivedRequest {
  path: string;
  contentType: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A decoded span (OTLP/JSON or OTLP/protobuf) with its resource attributes flattened. */
export interface ReceivedSpan {
  name: string;
  kind: number;
  scope: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** A real OTLP/HTTP receiver on 127.0.0.1: records every request, answers 200 (or hangs). */
export interface OtlpReceiver {
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  requests: ReceivedRequest[];
  /** Every span that arrived, decoded from OTLP/JSON or OTLP/protobuf. */
  spans(): ReceivedSpan[];
  /** Resolves once `predicate` holds over the spans, or rejects after `timeoutMs`. */
  waitFor(
    predicate: (spans: ReceivedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * Starts a receiver. With `hang: true` it accepts requests and never answers (a
 * stuck collector); with `status` it answers that status (a failing collector).
 */
export async function startOtlpReceiver(
  options: { hang?: boolean; status?: number } = {},
): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'],
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      if (options.hang) return;
      response.writeHead(options.status ?? 200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const spans = () =>
    requests
      .filter((request) => request.path === '/v1/traces')
      .flatMap((request) =>
        (request.contentType ?? '').includes('protobuf')
          ? decodeProtobufSpans(request.body)
          : decodeSpans(request),
      );
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans,
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (predicate(spans())) return spans();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(
        `spans did not arrive in time; got ${spans()
          .map((s) => s.name)
          .join(', ')}`,
      );
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

function decodeSpans(request: ReceivedRequest): ReceivedSpan[] {
  const payload = JSON.parse(request.body.toString('utf8'));
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of payload.resourceSpans ?? []) {
    const resource = flatten(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          name: span.name,
          kind: span.kind,
          scope: scopeSpans.scope?.name,
          attributes: flatten(span.attributes),
          resource,
        });
      }
    }
  }
  return spans;
}

/** OTLP/JSON attributes are `[{ key, value: { stringValue } }]`; keep the one value each. */
function flatten(attributes: JsonKeyValue[] | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { key, value } of attributes ?? []) result[key] = Object.values(value)[0];
  return result;
}
