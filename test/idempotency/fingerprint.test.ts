import { describe, expect, it } from 'vitest';
import { canonicalJson, type FingerprintInput, requestFingerprint } from '../../src/index.js';

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

  it('compares numbers by value and strings after unescaping, without Unicode normalisation', () => {
    expect(parsed('{"n":1}')).toBe(parsed('{"n":1.0}'));
    expect(parsed('{"s":"\\u00e9"}')).toBe(parsed('{"s":"\u00e9"}'));
    expect(parsed('{"s":"\u00e9"}')).not.toBe(parsed('{"s":"e\u0301"}'));
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
