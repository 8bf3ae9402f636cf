import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  INTERCEPTED,
  type Interceptor,
  intercept,
  OBSERVED,
} from '../../src/express/response-prototype-patch.js';

/** A response of `app`, as Express makes them: Node's, with the app's `res` prototype. */
function responseOf(app: express.Express): ServerResponse {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  Object.setPrototypeOf(res, app.response);
  return res;
}

function interceptor(): Interceptor {
  const calls = Object.fromEntries(INTERCEPTED.map((name) => [name, () => undefined]));
  const states = Object.fromEntries(OBSERVED.map((name) => [name, () => false]));
  return { ...calls, ...states } as unknown as Interceptor;
}

describe('intercept() on a prototype that already forwards', () => {
  it('forwards a response that patched nothing', () => {
    const app = express();
    intercept(responseOf(app), interceptor()).restore(); // installs the forwarders
    const res = responseOf(app);
    const interception = intercept(res, interceptor());
    expect(Object.hasOwn(res, 'end')).toBe(false);
    interception.restore();
  });

  it('hands a response back once restored, however recently it was intercepted', () => {
    const app = express();
    const seen: string[] = [];
    const spy = (tag: string): Interceptor =>
      ({
        ...interceptor(),
        setHeader: () => seen.push(tag),
      }) as unknown as Interceptor;
    intercept(responseOf(app), interceptor()).restore();
    const a = responseOf(app);
    const b = responseOf(app);
    const onA = intercept(a, spy('a'));
    const onB = intercept(b, spy('b'));
    a.setHeader('x-one', '1');
    b.setHeader('x-one', '1');
    onB.restore();
    b.setHeader('x-two', '2');
    a.setHeader('x-two', '2');
    onA.restore();
    a.setHeader('x-three', '3');
    expect(seen).toEqual(['a', 'b', 'a']);
    expect([a.getHeader('x-three'), b.getHeader('x-two'), a.getHeader('x-one')]).toEqual([
      '3',
      '2',
      undefined,
    ]);
  });

  // A middleware that wrapped one of them on the instance must still run on the way out.
  it.each([...INTERCEPTED])('wraps a response whose own %s hides the forwarder', (name) => {
    const app = express();
    intercept(responseOf(app), interceptor()).restore();
    const res = responseOf(app);
    const own = function ownPatch() {};
    Object.assign(res, { [name]: own });
    const interception = intercept(res, interceptor());
    expect(interception.real[name]).toBe(own);
    expect(res[name]).not.toBe(own);
    interception.restore();
    expect(res[name]).toBe(own);
  });

  it.each([...OBSERVED])('wraps a response with its own %s getter', (name) => {
    const app = express();
    intercept(responseOf(app), interceptor()).restore();
    const res = responseOf(app);
    Object.defineProperty(res, name, { configurable: true, get: () => true });
    const interception = intercept(res, interceptor());
    expect(Object.hasOwn(res, 'end')).toBe(true); // patched on the instance, not forwarded
    interception.restore();
    expect(res[name]).toBe(true);
  });
});
