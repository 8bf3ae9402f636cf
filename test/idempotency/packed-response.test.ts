import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { packResponse, unpackResponse } from '../../src/idempotency/packed-response.js';
import type { StoredResponse } from '../../src/idempotency/store.js';

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

function roundTrip(response: StoredResponse): StoredResponse {
  return unpackResponse(packResponse(response));
}

describe('packResponse / unpackResponse: a stored response, packed and read back', () => {
  it('reads back status, headers in order and every byte value', () => {
    const response = {
      status: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', etag: 'W/"2f-x"' },
      body: ALL_BYTES,
    };
    expect(typeof packResponse(response)).toBe('string');
    const back = roundTrip(response);
    expect(back).toEqual(response);
    expect(Object.keys(back.headers)).toEqual(['content-type', 'etag']);
    expect(back.body).toBeInstanceOf(Uint8Array);
  });

  it('keeps names and values holding the separators, digits, latin1 and nothing at all', () => {
    const headers = {
      'x-a:b,c;d': '1:2,3;4',
      '12': '',
      'x-latin1': 'caf\u00e9 \u00ff\u0000',
      'x-empty-name-next': ',;:',
      '': 'no name',
    };
    const packed = packResponse({ status: 200, headers, body: new Uint8Array(0) });
    expect(typeof packed).toBe('string');
    expect(unpackResponse(packed)).toEqual({ status: 200, headers, body: new Uint8Array(0) });
  });

  it('copies what does not pack into one latin1 string, and reads it back the same', () => {
    const big = new Uint8Array(randomBytes(64 * 1024));
    const cases: StoredResponse[] = [
      { status: 200, headers: { 'x-wide': 'snow \u2603' }, body: ALL_BYTES },
      { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: big },
      { status: 200.5, headers: {}, body: ALL_BYTES },
      { status: 200, headers: JSON.parse('{"__proto__":"x"}'), body: ALL_BYTES },
    ];
    for (const response of cases) {
      expect(typeof packResponse(response)).toBe('object');
      const back = roundTrip(response);
      expect(back.status).toBe(response.status);
      expect(Object.entries(back.headers)).toEqual(Object.entries(response.headers));
      expect(Buffer.from(back.body).equals(Buffer.from(response.body))).toBe(true);
    }
  });

  it('packs only the viewed bytes of a view, and hands out new bytes on every read', () => {
    const whole = Uint8Array.from([9, 1, 2, 3, 9]);
    const packed = packResponse({ status: 200, headers: {}, body: whole.subarray(1, 4) });
    whole.fill(0);
    const first = unpackResponse(packed);
    first.body[0] = 99;
    (first.headers as Record<string, string>).added = 'x';
    expect(unpackResponse(packed)).toEqual({
      status: 200,
      headers: {},
      body: Uint8Array.from([1, 2, 3]),
    });
  });
});
