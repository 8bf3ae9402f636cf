import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler, idempotency, tenant } from '../../src/express/index.js';
import { getTenant, MemoryStore } from '../../src/index.js';
import { closeAll, listen, postJson } from './idempotency-helpers.js';
import { majors } from './serve.js';

/*
 * idempotency() where applications really mount it: before a sub-app (Express
 * swaps res's prototype to the sub-app's inside it), inside a sub-app, and in
 * a router mounted with route parameters, alongside tenant() and errorHandler().
 */

afterEach(closeAll);

describe.each(majors)('idempotency() on $name, through mounts', ({ express }) => {
  function transfers() {
    let runs = 0;
    const handler = (
      req: { params: { id?: string }; body: unknown },
      res: import('express').Response,
    ) => {
      runs += 1;
      res
        .status(201)
        .json({ id: req.params.id, run: runs, tenant: getTenant()?.tenantId, body: req.body });
    };
    return { handler, runs: () => runs };
  }

  async function expectOnce(url: string, runs: () => number) {
    const key = randomUUID();
    const headers = { 'x-tenant-id': 'acme' };
    const first = await postJson(url, key, { amount: 1 }, headers);
    expect(first.status).toBe(201);
    const body = await first.json();
    expect(body).toMatchObject({ run: 1, tenant: 'acme', body: { amount: 1 } });
    const replay = await postJson(url, key, { amount: 1 }, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(body);
    expect(runs()).toBe(1);
    return body;
  }

  it('mounted on the app, answering from a sub-app', async () => {
    const { handler, runs } = transfers();
    const app = express();
    app.use(tenant(), express.json(), idempotency({ store: new MemoryStore() }));
    const v1 = express();
    v1.post('/transfers/:id', handler);
    app.use('/v1', v1);
    app.use(errorHandler());
    const { url } = await listen(app);
    expect(await expectOnce(`${url}/v1/transfers/t-1`, runs)).toMatchObject({ id: 't-1' });
  });

  it('on a route inside a sub-app', async () => {
    const { handler, runs } = transfers();
    const app = express();
    app.use(tenant());
    const v1 = express();
    v1.post('/transfers/:id', express.json(), idempotency(), handler);
    v1.use(errorHandler());
    app.use('/v1', v1);
    const { url } = await listen(app);
    expect(await expectOnce(`${url}/v1/transfers/t-2`, runs)).toMatchObject({ id: 't-2' });
  });

  it('on a route of a router mounted with a parameter', async () => {
    const { handler, runs } = transfers();
    const app = express();
    app.use(tenant());
    const router = express.Router({ mergeParams: true });
    router.post('/transfers/:id', express.json(), idempotency(), handler);
    app.use('/accounts/:account', router);
    app.use(errorHandler());
    const { url } = await listen(app);
    expect(await expectOnce(`${url}/accounts/a-1/transfers/t-3`, runs)).toMatchObject({
      id: 't-3',
    });
  });
});
