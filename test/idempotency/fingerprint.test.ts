import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { idempotency } from '../../src/express/index.js';
import { canonicalJson } from '../../src/idempotency/fingerprint.js';
import { type FingerprintInput, requestFingerprint } from '../../src/idempotency/index.js';
import { MemoryStore } from '../../src/index.js';
import { type Served, serve } from '../express/serve.js';

const json = (value: unknown): FingerprintInput => ({
  method: 'POST',
  path: '/transfers',
  contentType: 'application/json',
  body: { kind: 'json', value },
});
const parsed = (text: string) => requestFingerprint(json(JSON.parse(text)));

describe('requestFingerprint', () => {
  it('ignores JSON key order and whitespace, at every depth', () => {
    expect(parsed('{"a":1,"b":{"x":[1,2],"y":null}}')).toBe(
      parsed('{ "b" : { "y" : null , "x" : [ 1 , 2 ] } ,\n "a" : 1 }'),
    );
  });

  it('ignores enumerable names an object inherits, as JSON.stringify does', () => {
    const plain = parsed('{"a":1,"b":{"c":[2]}}');
    const prototype = Object.prototype as Record<string, unknown>;
    for (const [name, value] of [
      ['zz', 1],
      ['0', undefined],
    ] as const) {
      prototype[name] = value;
      try {
        expect(parsed('{"a":1,"b":{"c":[2]}}')).toBe(plain);
        expect(parsed('{"b":{"c":[2]},"a":1}')).toBe(plain);
      } finally {
        delete prototype[name];
      }
    }
  });

  it('compares numbers by value and strings after unescaping, without Unicode normalisation', () => {
    expect(parsed('{"n":1}')).toBe(parsed('{"n":1.0}'));
    expect(parsed('{"s":"\\u00e9"}')).toBe(parsed('{"s":"\u00e9"}'));
    expect(parsed('{"s":"\u00e9"}')).not.toBe(parsed('{"s":"e\u0301"}'));
  });

  it('tells apart numbers JSON.parse keeps apart: overflow to ±Infinity, null, 0 and -0', () => {
    // JSON.parse turns 1e400 into Infinity and -1e400 into -Infinity; JSON.stringify writes
    // both (and NaN) as null, and -0 as 0. The handler sees each of these as a different value.
    const bodies = ['{"a":1e400}', '{"a":-1e400}', '{"a":null}', '{"a":0}', '{"a":-0}'];
    expect(new Set(bodies.map(parsed)).size).toBe(bodies.length);
    const values = [Number.NaN, null, Number.POSITIVE_INFINITY, 10n, '10', 10];
    expect(new Set(values.map((a) => requestFingerprint(json({ a })))).size).toBe(values.length);
  });

  it('still equates the spellings JSON.parse makes equal (the handler cannot tell them apart)', () => {
    expect(parsed('{"a":1e400}')).toBe(parsed('{"a":2e308}'));
    expect(parsed('{"a":-0}')).toBe(parsed('{"a":-0.0e5}'));
    expect(parsed('{"a":1e-400}')).toBe(parsed('{"a":0}'));
    expect(parsed('{"b":-0,"a":1e999}')).toBe(parsed('{"a":1e999,"b":-0}'));
  });

  it('keeps the fingerprints of ordinary bodies (records stored before this release still replay)', () => {
    const body =
      '{"amount":4200,"rate":0.5,"n":-3,"big":1e21,"tiny":1e-7,"list":[1,"a",null,true]}';
    expect(parsed(body)).toBe('5b836dbf8feea046ddf92e2b224984abe6e6184388289206f8b86505309136b2');
  });

  it('changes with any value, array order, method, path, query or media type', () => {
    const fingerprints = new Set([
      parsed('{"amount":100}'),
      parsed('{"amount":101}'),
      parsed('{"list":[1,2]}'),
      parsed('{"list":[2,1]}'),
      requestFingerprint({ ...json({ amount: 100 }), method: 'PATCH' }),
      requestFingerprint({ ...json({ amount: 100 }), path: '/refunds' }),
      requestFingerprint({ ...json({ amount: 100 }), query: 'dry=1' }),
      requestFingerprint({ ...json({ amount: 100 }), contentType: 'text/plain' }),
    ]);
    expect(fingerprints.size).toBe(8);
  });

  it('sorts query parameters by name and ignores media-type parameters', () => {
    expect(requestFingerprint({ ...json({}), query: 'b=2&a=1' })).toBe(
      requestFingerprint({ ...json({}), query: 'a=1&b=2' }),
    );
    expect(requestFingerprint({ ...json({}), query: 'a=1&a=2' })).not.toBe(
      requestFingerprint({ ...json({}), query: 'a=2&a=1' }),
    );
    expect(
      requestFingerprint({ ...json({}), contentType: 'Application/JSON; charset=utf-8' }),
    ).toBe(requestFingerprint(json({})));
  });

  it('hashes other bodies by their exact bytes', () => {
    const raw = (bytes: number[]): FingerprintInput => ({
      method: 'POST',
      path: '/upload',
      contentType: 'application/octet-stream',
      body: { kind: 'bytes', bytes: Uint8Array.from(bytes) },
    });
    expect(requestFingerprint(raw([1, 2, 3]))).toBe(requestFingerprint(raw([1, 2, 3])));
    expect(requestFingerprint(raw([1, 2, 3]))).not.toBe(requestFingerprint(raw([1, 2, 4])));
  });

  it('tells no body, an empty body and an empty JSON object apart', () => {
    const none = requestFingerprint({ method: 'POST', path: '/t', body: { kind: 'none' } });
    const empty = requestFingerprint({
      method: 'POST',
      path: '/t',
      body: { kind: 'bytes', bytes: new Uint8Array() },
    });
    const emptyObject = requestFingerprint({
      method: 'POST',
      path: '/t',
      body: { kind: 'json', value: {} },
    });
    expect(new Set([none, empty, emptyObject]).size).toBe(3);
    expect(none).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and follows JSON.stringify for the rest', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    expect(canonicalJson({ b: [1, undefined], a: date, c: undefined, d: Number.NaN })).toBe(
      '{"a":"2026-01-02T03:04:05.000Z","b":[1,null],"d":null}',
    );
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i += 1) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(RangeError);
  });
});

describe('idempotency() over express.json(): bodies that parse differently never replay each other', () => {
  let served: Served | undefined;
  afterAll(() => served?.close());

  it('a retry of {"amount":1e400} with {"amount":null} or -1e400 is a mismatch (422), not a replay', async () => {
    let executions = 0;
    const app = express();
    app.post(
      '/transfers',
      express.json(),
      idempotency({ store: new MemoryStore() }),
      (req, res) => {
        executions += 1;
        res.status(201).json({ amount: String(req.body.amount) });
      },
    );
    served = await serve(app);
    const post = (body: string) =>
      fetch(`${served?.url}/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k-overflow' },
        body,
      });
    expect((await post('{"amount":1e400}')).status).toBe(201);
    const same = await post('{"amount":1e400}');
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    for (const other of ['{"amount":null}', '{"amount":-1e400}']) {
      const answer = await post(other);
      expect(answer.headers.get('idempotent-replayed')).toBeNull();
      expect(answer.status).toBe(422);
    }
    expect(executions).toBe(1);
  });
});
