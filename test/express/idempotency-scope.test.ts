import { randomUUID } from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { MemoryStore } from '../../src/index.js';
import { closeAll, listen } from './idempotency-helpers.js';
import { majors } from './serve.js';

/*
 * Express matches routes loosely: case-insensitively and with an optional
 * trailing slash, unless `case sensitive routing` / `strict routing` say
 * otherwise. A key is scoped by what Express matched, so `/t`, `/T` and `/t/`,
 * one resource to Express, are one scope: the key runs once. (The fingerprint
 * keeps the path as sent, so a retry under another spelling is answered 422,
 * never run again and never given another path's answer.)
 */

afterEach(closeAll);

describe.each(majors)('idempotency() on $name: one resource, one scope', ({ express }) => {
  async function start(mount: (app: Express, handler: RequestHandler) => void, app = express()) {
    let runs = 0;
    mount(app, (_req, res) => {
      runs += 1;
      res.status(201).json({ run: runs });
    });
    const { url } = await listen(app);
    const key = randomUUID();
    const post = async (path: string) => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'idempotency-key': key },
      });
      return response.status;
    };
    return { post, runs: () => runs };
  }

  it('app.use(idempotency()): /t, /T and /t/ are one scope, run once', async () => {
    const app = await start((app, handler) => {
      app.use(idempotency());
      app.post('/t', handler);
    });
    expect(await app.post('/t')).toBe(201);
    expect(await app.post('/T')).toBe(422);
    expect(await app.post('/t/')).toBe(422);
    expect(await app.post('/t')).toBe(201); // the replay
    expect(app.runs()).toBe(1);
  });

  it('app.use(path, idempotency()): the mount path is matched loosely too', async () => {
    const app = await start((app, handler) => {
      app.use('/v1', idempotency());
      app.post('/v1/t', handler);
    });
    expect(await app.post('/v1/t')).toBe(201);
    expect(await app.post('/V1/T/')).toBe(422);
    expect(app.runs()).toBe(1);
  });

  it('an array route: /t, /T and /t/ are one scope, run once; /u is another', async () => {
    const app = await start((app, handler) => {
      app.post(['/t', '/u'], idempotency(), handler);
    });
    expect(await app.post('/t')).toBe(201);
    expect(await app.post('/T')).toBe(422);
    expect(await app.post('/t/')).toBe(422);
    expect(app.runs()).toBe(1);
    expect(await app.post('/u')).toBe(201);
    expect(app.runs()).toBe(2);
  });

  it('a route in a mounted router: scoped by its whole template, however the mount is spelled', async () => {
    const app = await start((app, handler) => {
      const router = express.Router();
      router.post('/items/:id', idempotency(), handler);
      app.use('/v1', router);
    });
    expect(await app.post('/v1/items/1')).toBe(201);
    expect(await app.post('/V1/items/1')).toBe(422);
    expect(await app.post('/v1/ITEMS/1/')).toBe(422);
    expect(await app.post('/v1/items/2')).toBe(422); // the template is the scope
    expect(app.runs()).toBe(1);
  });

  it('honours case sensitive routing and strict routing: then they are other resources', async () => {
    const strict = express();
    strict.set('case sensitive routing', true);
    strict.set('strict routing', true);
    const app = await start((app, handler) => {
      app.use(idempotency({ store: new MemoryStore() }));
      app.post('/t', handler);
      app.post('/T', handler);
      app.post('/t/', handler);
    }, strict);
    expect(await app.post('/t')).toBe(201);
    expect(await app.post('/T')).toBe(201);
    expect(await app.post('/t/')).toBe(201);
    expect(app.runs()).toBe(3);
  });
});
