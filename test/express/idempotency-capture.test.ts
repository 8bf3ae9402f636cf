import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { closeAll, listen } from './idempotency-helpers.js';
import { majors } from './serve.js';

afterEach(closeAll);

const fileDir = mkdtempSync(join(tmpdir(), 'bulwark-idem-'));
writeFileSync(join(fileDir, 'receipt.txt'), 'receipt body\n');
afterAll(() => rmSync(fileDir, { recursive: true, force: true }));

/** Every way a handler answers; each must be captured whole and replayed byte for byte. */
const STYLES: Record<string, RequestHandler> = {
  'res.json': (_req, res) => void res.status(201).json({ ok: true, n: 1 }),
  'res.send(string)': (_req, res) => void res.status(202).send('<p>accepted</p>'),
  'res.end(buffer)': (_req, res) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/octet-stream');
    res.end(Buffer.from([0, 255, 1, 254]));
  },
  'res.write + res.end': (_req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.write('part one, ');
    res.write(Buffer.from('part two, '));
    res.end('end');
  },
  'res.writeHead with headers': (_req, res) => {
    res.writeHead(201, { 'Content-Type': 'text/plain', Location: '/made/1' });
    res.end('made');
  },
  'res.status(204).end()': (_req, res) => void res.status(204).end(),
  'res.redirect': (_req, res) => res.redirect(303, '/somewhere/else'),
  'res.sendFile': (_req, res) => res.sendFile(join(fileDir, 'receipt.txt')),
};

describe.each(majors)('idempotency() on $name', ({ express }) => {
  describe('idempotency(): captures every way a handler answers', () => {
    it.each(Object.keys(STYLES))(
      '%s: recorded, and replayed with the same status, headers and bytes',
      async (style) => {
        const app = express();
        let executions = 0;
        const handler = STYLES[style]!;
        app.post('/x', idempotency({}), (req, res, next) => {
          executions += 1;
          return handler(req, res, next);
        });
        const { url } = await listen(app);
        const key = randomUUID();
        const send = () =>
          fetch(`${url}/x`, {
            method: 'POST',
            headers: { 'idempotency-key': key },
            redirect: 'manual',
          });
        const first = await send();
        const firstBytes = Buffer.from(await first.arrayBuffer());
        const replay = await send();
        const replayBytes = Buffer.from(await replay.arrayBuffer());
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
        expect(replay.status).toBe(first.status);
        expect(replayBytes.equals(firstBytes)).toBe(true);
        for (const name of ['content-type', 'location']) {
          expect(replay.headers.get(name)).toBe(first.headers.get(name));
        }
        expect(executions).toBe(1);
      },
    );
  });

  describe('idempotency(): middleware that wrapped res.end earlier stays outside the capture', () => {
    it('records the handler bytes, and the wrapper transforms first answer and replay alike', async () => {
      const app = express();
      // Like compression mounted before idempotency(): patches the instance, transforms the
      // bytes (each byte + 1, so the length holds and a second pass would show).
      app.use((_req, res, next) => {
        const end = res.end as (this: typeof res, chunk: unknown) => typeof res;
        res.end = function shiftedEnd(this: typeof res, chunk?: unknown) {
          const bytes = Buffer.from(chunk as Buffer).map((byte) => byte + 1);
          return end.call(this, bytes);
        } as typeof res.end;
        next();
      });
      app.post('/x', idempotency({}), (_req, res) => void res.status(201).send('made'));
      const { url } = await listen(app);
      const key = randomUUID();
      const send = () => fetch(`${url}/x`, { method: 'POST', headers: { 'idempotency-key': key } });
      const first = await send();
      expect(await first.text()).toBe('nbef');
      const replay = await send();
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.text()).toBe('nbef');
    });
  });

  describe('idempotency(): middleware that wraps res after it', () => {
    it('a wrapper that writes the implicit head before each write (as compression does) is captured whole', async () => {
      const app = express();
      let executions = 0;
      app.post('/x', idempotency({}), (_req, res, next) => {
        const write = res.write as (this: typeof res, ...args: unknown[]) => boolean;
        const implicit = res as unknown as { _header: unknown; _implicitHeader(): void };
        res.write = function headFirst(this: typeof res, ...args: unknown[]) {
          if (!implicit._header) implicit._implicitHeader();
          return write.apply(this, args);
        } as typeof res.write;
        next();
      });
      app.post('/x', (_req, res) => {
        executions += 1;
        res.status(201).type('text/plain');
        res.write('one, ');
        res.write('two, ');
        res.end('three');
      });
      const { url } = await listen(app);
      const key = randomUUID();
      const send = () => fetch(`${url}/x`, { method: 'POST', headers: { 'idempotency-key': key } });
      const first = await send();
      expect([first.status, await first.text()]).toEqual([201, 'one, two, three']);
      const replay = await send();
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect([replay.status, await replay.text()]).toEqual([201, 'one, two, three']);
      expect(executions).toBe(1);
    });
  });

  describe('idempotency(): streams are passed through and never recorded', () => {
    it('streams a text/event-stream response live and releases the key', async () => {
      const app = express();
      let executions = 0;
      app.post('/events', idempotency({}), (_req, res) => {
        executions += 1;
        res.setHeader('Content-Type', 'text/event-stream');
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 20);
      });
      const { url } = await listen(app);
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        const r = await fetch(`${url}/events`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        expect(await r.text()).toBe('data: one\n\ndata: two\n\n');
        expect(r.headers.get('idempotent-replayed')).toBeNull();
      }
      expect(executions).toBe(2);
    });

    it('sends a response over maxResponseBytes in full, without recording it', async () => {
      const app = express();
      let executions = 0;
      const big = 'x'.repeat(5_000);
      app.post('/big', idempotency({ maxResponseBytes: 1_000 }), (_req, res) => {
        executions += 1;
        res.type('text/plain');
        for (let i = 0; i < 5; i += 1) res.write(big.slice(i * 1_000, (i + 1) * 1_000));
        res.end();
      });
      const { url } = await listen(app);
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        const r = await fetch(`${url}/big`, {
          method: 'POST',
          headers: { 'idempotency-key': key },
        });
        expect(await r.text()).toBe(big);
      }
      expect(executions).toBe(2);
    });

    it('releases the key when the handler destroys the response', async () => {
      const app = express();
      let executions = 0;
      app.post('/abort', idempotency({}), (_req, res) => {
        executions += 1;
        res.write('partial');
        res.destroy();
      });
      const { url } = await listen(app);
      const key = randomUUID();
      for (let i = 0; i < 2; i += 1) {
        await fetch(`${url}/abort`, { method: 'POST', headers: { 'idempotency-key': key } }).catch(
          () => undefined,
        );
      }
      await expect.poll(() => executions).toBe(2);
    });
  });

  describe('idempotency(): request bodies', () => {
    it('fingerprints raw bytes when no parser ran, and leaves them in req.body', async () => {
      const app = express();
      const seen: unknown[] = [];
      app.post('/raw', idempotency({}), (req, res) => {
        seen.push(Buffer.isBuffer(req.body) ? req.body.toString('hex') : req.body);
        res.status(201).send('ok');
      });
      const { url } = await listen(app);
      const key = randomUUID();
      const send = (bytes: number[]) =>
        fetch(`${url}/raw`, {
          method: 'POST',
          headers: { 'idempotency-key': key, 'content-type': 'application/octet-stream' },
          body: Uint8Array.from(bytes),
        });
      expect((await send([1, 2, 3])).status).toBe(201);
      expect((await send([1, 2, 3])).headers.get('idempotent-replayed')).toBe('true');
      expect((await send([1, 2, 4])).status).toBe(422);
      expect(seen).toEqual(['010203']);
    });

    it('fingerprints the bytes express.raw() and express.text() leave', async () => {
      const app = express();
      let executions = 0;
      app.post('/text', express.text(), idempotency({}), (_req, res) => {
        executions += 1;
        res.send('ok');
      });
      const { url } = await listen(app);
      const key = randomUUID();
      const send = (text: string) =>
        fetch(`${url}/text`, {
          method: 'POST',
          headers: { 'idempotency-key': key, 'content-type': 'text/plain' },
          body: text,
        });
      await send('hello');
      expect((await send('hello')).headers.get('idempotent-replayed')).toBe('true');
      expect((await send('hello ')).status).toBe(422);
      expect(executions).toBe(1);
    });

    it('fingerprints an urlencoded form by its parsed fields, in any order', async () => {
      const app = express();
      let executions = 0;
      app.post('/form', express.urlencoded({ extended: false }), idempotency({}), (_req, res) => {
        executions += 1;
        res.send('ok');
      });
      const { url } = await listen(app);
      const key = randomUUID();
      const send = (form: string) =>
        fetch(`${url}/form`, {
          method: 'POST',
          headers: { 'idempotency-key': key, 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
      await send('amount=1&currency=EUR');
      expect((await send('currency=EUR&amount=1')).headers.get('idempotent-replayed')).toBe('true');
      expect((await send('currency=EUR&amount=2')).status).toBe(422);
      expect(executions).toBe(1);
    });

    it('413 for a body over maxBodyBytes, declared or streamed, and the handler never runs', async () => {
      const app = express();
      let executions = 0;
      app.post('/upload', idempotency({ maxBodyBytes: 1_024 }), (_req, res) => {
        executions += 1;
        res.send('ok');
      });
      const { url } = await listen(app);
      const declared = await fetch(`${url}/upload`, {
        method: 'POST',
        headers: { 'idempotency-key': randomUUID() },
        body: new Uint8Array(2_048),
      });
      expect(declared.status).toBe(413);
      expect(await declared.json()).toMatchObject({
        type: 'urn:bulwark:problem:payload-too-large',
      });
      const chunked = await fetch(`${url}/upload`, {
        method: 'POST',
        headers: { 'idempotency-key': randomUUID() },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < 4; i += 1) controller.enqueue(new Uint8Array(512));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      const small = await fetch(`${url}/upload`, {
        method: 'POST',
        headers: { 'idempotency-key': randomUUID() },
        body: new Uint8Array(1_024),
      });
      expect(small.status).toBe(200);
      expect(executions).toBe(1);
    });

    it('tells a request without a body from one with an empty JSON object', async () => {
      const app = express();
      app.post('/e', express.json(), idempotency({}), (_req, res) => void res.send('ok'));
      const { url } = await listen(app);
      const key = randomUUID();
      await fetch(`${url}/e`, { method: 'POST', headers: { 'idempotency-key': key } });
      const withBody = await fetch(`${url}/e`, {
        method: 'POST',
        headers: { 'idempotency-key': key, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(withBody.status).toBe(422);
    });
  });
});
