import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { type PrometheusOptions, TELEMETRY_DEFAULTS } from './options.js';
import { sdk } from './sdk.js';
import { warnOnce } from './warn.js';

/** A request handler rendering the Prometheus text format; mount it at `GET /metrics`. */
export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The Prometheus pull side: a metric reader, its handler, and an optional server. */
export interface PrometheusEndpoint {
  readonly reader: PrometheusExporter;
  readonly handler: MetricsHandler;
  /** Starts the scrape server when asked to; resolves to its URL, or undefined. Never rejects. */
  listen(): Promise<string | undefined>;
  /** Stops the scrape server, if any. */
  close(): Promise<void>;
}

/**
 * Builds the endpoint. bulwark runs the server itself instead of letting the
 * exporter do it, because the exporter cannot bind port 0 (it treats 0 as
 * "unset") and cannot report a listen failure to the caller.
 */
export function createPrometheusEndpoint(option: true | PrometheusOptions): PrometheusEndpoint {
  const settings = option === true ? {} : option;
  const reader = new sdk.prometheus.PrometheusExporter({ preventServerStart: true });
  const endpoint = settings.endpoint ?? TELEMETRY_DEFAULTS.prometheus.endpoint;
  const handler: MetricsHandler = function metricsHandler(request, response) {
    reader.getMetricsRequestHandler(request, response);
  };
  let server: Server | undefined;
  return {
    reader,
    handler,
    async listen() {
      if (settings.listen === false) return undefined;
      server = createServer((request, response) => {
        if (new URL(request.url ?? '/', 'http://x').pathname === endpoint)
          handler(request, response);
        else response.writeHead(404).end();
      });
      server.unref();
      return listenOn(server, portOf(settings), hostOf(settings), endpoint);
    },
    close() {
      return new Promise((resolve) => {
        if (server === undefined || !server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function listenOn(
  server: Server,
  port: number,
  host: string | undefined,
  endpoint: string,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    server.once('error', (error) => {
      warnOnce(
        `Prometheus scrape server could not listen on ${host ?? '*'}:${port}: ${error.message}`,
      );
      resolve(undefined);
    });
    server.listen({ port, host }, () => {
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shownHost}:${address.port}${endpoint}`);
    });
  });
}

function portOf(settings: PrometheusOptions): number {
  if (settings.port !== undefined) return settings.port;
  const fromEnv = sdk.core.getNumberFromEnv('OTEL_EXPORTER_PROMETHEUS_PORT');
  if (fromEnv !== undefined && Number.isInteger(fromEnv) && fromEnv >= 0 && fromEnv <= 65535) {
    return fromEnv;
  }
  return TELEMETRY_DEFAULTS.prometheus.port;
}

function hostOf(settings: PrometheusOptions): string | undefined {
  return settings.host ?? sdk.core.getStringFromEnv('OTEL_EXPORTER_PROMETHEUS_HOST');
}
