import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  type ErrorHandlerOptions,
  errorHandler,
  type IdempotencyOptions,
  idempotency,
  idempotencyClaim,
  type RequestMetricsOptions,
  requestMetrics,
  type TenantOptions,
  tenant,
} from '../../src/express/index.js';
import { bulwark, idempotencyClaim as fastifyClaim } from '../../src/fastify/index.js';
import { type ExpressModule, majors, serve } from '../express/serve.js';

/*
 * The contract suite's view of a framework: an app described once (its
 * bulwark parts and its routes), built on Express 5, Express 4 or Fastify 5
 * and served on 127.0.0.1. Every contract test runs over {@link adapters}.
 */

/** What a handler sees, whatever the framework. */
export interface HandlerContext {
  readonly body: unknown;
  readonly params: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** `idempotencyClaim()` of this request's response. */
  readonly claimOperationId: string | undefined;
}

/** What a handler answers, whatever the framework. */
export interface HandlerReply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as text (`text/plain` unless a content type is given). */
  readonly text?: string;
  /** Sent as bytes (`application/octet-stream` unless a content type is given). */
  readonly bytes?: Buffer;
  /** Piped (a stream reply). */
  readonly stream?: () => Readable;
  /** Thrown right after the answer was sent (an error after the answer). */
  readonly thenThrow?: unknown;
}

/** One route of a contract app. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A path with `:params`, the same syntax on every framework. */
  readonly path: string;
  /** `false` turns idempotency off for this route. */
  readonly idempotency?: false;
  readonly handler: (context: HandlerContext) => HandlerReply | Promise<HandlerReply>;
}

/** A contract app: bulwark's parts (each off with `false`) and its routes. */
export interface AppSpec {
  readonly tenant?: TenantOptions | false;
  readonly metrics?: RequestMetricsOptions | false;
  readonly idempotency?: IdempotencyOptions | false;
  readonly errors?: ErrorHandlerOptions | false;
  readonly routes: readonly RouteSpec[];
}

/** A running contract app. */
export interface RunningApp {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One framework the contract runs on. */
export interface HttpAdapter {
  readonly name: string;
  makeApp(spec: AppSpec): Promise<RunningApp>;
}

const running: RunningApp[] = [];

/** Stops every app started by any adapter. */
export async function closeApps(): Promise<void> {
  await Promise.all(running.splice(0).map((app) => app.close()));
}

function expressAdapter(name: string, express: ExpressModule): HttpAdapter {
  return {
    name,
    async makeApp(spec) {
      const app = express();
      if (spec.metrics !== false) app.use(requestMetrics(spec.metrics ?? {}));
      if (spec.tenant !== false) app.use(tenant(spec.tenant ?? {}));
      app.use(express.json());
      const keys = spec.idempotency === false ? undefined : idempotency(spec.idempotency ?? {});
      for (const route of spec.routes) {
        const chain = keys !== undefined && route.idempotency !== false ? [keys] : [];
        const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
        app[method](
          route.path,
          ...chain,
          async (req: Request, res: Response, next: NextFunction) => {
            try {
              const context: HandlerContext = {
                body: req.body,
                params: req.params as Record<string, string>,
                headers: req.headers,
                claimOperationId: idempotencyClaim(res)?.operationId,
              };
              const reply = await route.handler(context);
              sendExpress(res, reply);
              if (reply.thenThrow !== undefined) throw reply.thenThrow;
            } catch (error) {
              next(error); // Express 4 never sees a rejected promise
            }
          },
        );
      }
      if (spec.errors !== false) app.use(errorHandler(spec.errors ?? {}));
      return track(await serve(app));
    },
  };
}

function sendExpress(res: Response, reply: HandlerReply): void {
  res.status(reply.status ?? 200);
  if (reply.headers !== undefined) res.set(reply.headers);
  if (reply.stream !== undefined) {
    reply.stream().pipe(res);
  } else if (reply.json !== undefined) {
    res.json(reply.json);
  } else if (reply.text !== undefined) {
    if (!res.get('content-type')) res.type('text/plain');
    res.send(reply.text);
  } else if (reply.bytes !== undefined) {
    if (!res.get('content-type')) res.type('application/octet-stream');
    res.send(reply.bytes);
  } else {
    res.end();
  }
}

const fastifyAdapter: HttpAdapter = {
  name: 'fastify 5',
  async makeApp(spec) {
    const app = Fastify();
    await app.register(bulwark, {
      tenant: spec.tenant as never,
      metrics: spec.metrics,
      idempotency: spec.idempotency as never,
      errors: spec.errors as never,
    });
    for (const route of spec.routes) {
      app.route({
        method: route.method,
        url: route.path,
        config: route.idempotency === false ? { idempotency: false } : {},
        handler: async (request: FastifyRequest, reply: FastifyReply) => {
          const context: HandlerContext = {
            body: request.body,
            params: request.params as Record<string, string>,
            headers: request.headers,
            claimOperationId: fastifyClaim(reply.raw)?.operationId,
          };
          const answer = await route.handler(context);
          const sent = sendFastify(reply, answer);
          if (answer.thenThrow !== undefined) throw answer.thenThrow;
          return sent;
        },
      });
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return track({
      url: `http://127.0.0.1:${port}`,
      port,
      close: async () => {
        app.server.closeAllConnections();
        await app.close();
      },
    });
  },
};

function sendFastify(reply: FastifyReply, answer: HandlerReply): FastifyReply {
  reply.code(answer.status ?? 200);
  if (answer.headers !== undefined) reply.headers(answer.headers);
  if (answer.stream !== undefined) return reply.send(answer.stream());
  if (answer.json !== undefined) return reply.send(answer.json);
  if (answer.text !== undefined) {
    if (!reply.hasHeader('content-type')) reply.type('text/plain; charset=utf-8');
    return reply.send(answer.text);
  }
  if (answer.bytes !== undefined) return reply.send(answer.bytes);
  return reply.send();
}

function track(app: RunningApp): RunningApp {
  running.push(app);
  return app;
}

/** Every framework bulwark's HTTP contract holds on. */
export const adapters: readonly HttpAdapter[] = [
  ...majors.map((major) => expressAdapter(major.name, major.express)),
  fastifyAdapter,
];
