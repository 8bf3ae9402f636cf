import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler, idempotency } from '../../src/express/index.js';
import { closeAll, listen } from './idempotency-helpers.js';
import { majors } from './serve.js';
import { type WireConnection, wire } from './wire.js';

/*
 * A handler that answers and then fails (a throw after res.send, a rejection
 * after it, a failing logger): the answer it gave is the answer, and the error
 * after it must never write a second head on the connection. Proved on the
 * wire, on a keep-alive connection, with a body that would forge a second
 * response if it were ever framed by the wrong head.
 */

afterEach(closeAll);

const FORGED = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nforged';
/** 120 bytes of padding (more than errorHandler()'s 84-byte problem), then a forged response. */
const BODY = `${'p'.repeat(120)}${FORGED}`;

function post(key: string, path = '/transfers'): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${key}\r\n` +
    'Content-Type: application/json\r\nContent-Length: 13\r\n\r\n{"amount":10}'
  );
}

/** Reads one response, then proves nothing else arrived on the connection. */
async function onlyResponse(connection: WireConnection) {
  const response = await connection.nextResponse();
  expect((await connection.leftover(150)).toString('latin1')).toBe('');
  return response;
}

describe.each(majors)('idempotency() on $name: a handler that answers, then fails', (major) => {
  const { express } = major;

  /** Each way of failing after `res.status(201).send(BODY)`. */
  const failures: Record<string, RequestHandler> = {
    'throws synchronously': (_req, res) => {
      res.status(201).type('text/plain').send(BODY);
      throw new Error('after the answer');
    },
    'fails asynchronously': async (_req, res, next) => {
      res.status(201).type('text/plain').send(BODY);
      await Promise.resolve();
      const error = new Error('after the answer, asynchronously');
      // Express 4 never sees a rejected promise: the handler must pass the error on.
      if (!major.catchesRejections) return next(error);
      throw error;
    },
    'fails later, after its answer was recorded and sent': async (_req, res, next) => {
      res.status(201).type('text/plain').send(BODY);
      await new Promise((resolve) => setTimeout(resolve, 50));
      next(new Error('much later'));
    },
  };

  async function app(fail: RequestHandler) {
    const app = express();
    let executions = 0;
    const errors: unknown[] = [];
    app.post('/transfers', express.json(), idempotency(), (req, res, next) => {
      executions += 1;
      return fail(req, res, next);
    });
    app.get('/ping', (_req, res) => void res.send('pong'));
    app.use(errorHandler({ onError: (error) => errors.push(error) }));
    const running = await listen(app);
    return { ...running, executions: () => executions, errors };
  }

  it.each(Object.keys(failures))(
    '%s: one well-formed 201 on the wire, recorded and replayed, and the connection still serves',
    async (failure) => {
      const running = await app(failures[failure]!);
      const connection = await wire(running.port);
      const key = randomUUID();
      connection.send(post(key));
      const first = await onlyResponse(connection);
      expect(first.status).toBe(201);
      expect(first.headers['content-type']).toMatch(/^text\/plain/);
      expect(first.body.toString('latin1')).toBe(BODY);
      expect(connection.closed).toBe(false);

      // The next request on the same connection: a retry, answered by the record.
      connection.send(post(key));
      const replay = await onlyResponse(connection);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.toString('latin1')).toBe(BODY);

      connection.send('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
      expect((await onlyResponse(connection)).body.toString()).toBe('pong');
      connection.close();
      expect(running.executions()).toBe(1);
      // The error is not lost: errorHandler() hands it to onError.
      await expect.poll(() => running.errors.length).toBe(1);
    },
  );

  it('a handler that answers through a foreign error handler: no second head either', async () => {
    const app = express();
    let executions = 0;
    app.post('/transfers', express.json(), idempotency(), (_req, res) => {
      executions += 1;
      res.status(201).type('text/plain').send(BODY);
      throw new Error('after the answer');
    });
    // An error handler that ignores headersSent, as many hand-written ones do.
    app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: 'internal' });
    });
    const running = await listen(app);
    const connection = await wire(running.port);
    const key = randomUUID();
    connection.send(post(key));
    // Express closes the connection (its headers-sent rule) or the answer goes out: never a mix.
    const seen = await connection.nextResponse().catch(() => undefined);
    if (seen !== undefined) {
      expect(seen.status).toBe(201);
      expect(seen.body.toString('latin1')).toBe(BODY);
      expect((await connection.leftover(150)).toString('latin1')).toBe('');
    }
    connection.close();
    // Whatever the first connection saw, the retry replays the 201 the handler gave.
    const retry = await wire(running.port);
    retry.send(post(key));
    const replay = await onlyResponse(retry);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(replay.body.toString('latin1')).toBe(BODY);
    retry.close();
    expect(executions).toBe(1);
  });

  it('a handler that starts an answer and fails: the connection ends, no second head, the key is released', async () => {
    const app = express();
    let executions = 0;
    app.post('/transfers', express.json(), idempotency(), (_req, res) => {
      executions += 1;
      res.status(201).type('text/plain');
      res.write(BODY.slice(0, 60));
      throw new Error('mid-answer');
    });
    app.use(errorHandler());
    const running = await listen(app);
    const connection = await wire(running.port);
    const key = randomUUID();
    connection.send(post(key));
    await expect(connection.nextResponse()).rejects.toThrow(/closed: true/);
    // Whatever partial bytes went out, none of them is a second status line.
    const bytes = (await connection.leftover(0)).toString('latin1');
    expect(bytes.match(/HTTP\/1\.1 \d{3}/g) ?? []).toHaveLength(bytes === '' ? 0 : 1);
    expect(bytes).not.toContain('problem+json');
    // A thrown handler releases its key: the retry runs it again.
    await expect
      .poll(async () => {
        const retry = await wire(running.port);
        retry.send(post(key));
        await retry.nextResponse().catch(() => undefined);
        retry.close();
        return executions;
      })
      .toBeGreaterThanOrEqual(2);
  });
});

describe.each(majors)('errorHandler() on $name, without idempotency()', ({ express }) => {
  it('leaves a complete answer alone: one response, the connection kept, onError told', async () => {
    const app = express();
    const errors: unknown[] = [];
    app.post('/transfers', (_req, res) => {
      res.status(201).type('text/plain').send(BODY);
      throw new Error('after the answer');
    });
    app.get('/ping', (_req, res) => void res.send('pong'));
    app.use(errorHandler({ onError: (error) => errors.push(error) }));
    const running = await listen(app);
    const connection = await wire(running.port);
    connection.send(post(randomUUID()));
    const first = await onlyResponse(connection);
    expect([first.status, first.body.toString('latin1')]).toEqual([201, BODY]);
    connection.send('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await onlyResponse(connection)).body.toString()).toBe('pong');
    connection.close();
    expect(errors).toHaveLength(1);
  });
});
