import type { ClaimResult, StoredResponse } from '../idempotency/store.js';

/*
 * Encodes records as the Lua scripts in ./scripts.ts expect them. Body bytes
 * travel as base64 inside JSON: both clients hand strings back decoded as
 * UTF-8 by default, which would corrupt arbitrary bytes.
 */

/** The value of a fresh in-flight record. */
export function encodeInFlight(ownerToken: string, fingerprint: string): string {
  return `p${JSON.stringify({ t: ownerToken, f: fingerprint })}`;
}

/** The response part of a completed record; the script adds the fingerprint. */
export function encodeResponse(response: StoredResponse): string {
  return JSON.stringify({
    st: response.status,
    h: response.headers,
    b: Buffer.from(
      response.body.buffer,
      response.body.byteOffset,
      response.body.byteLength,
    ).toString('base64'),
  });
}

/** Turns the `{0, value, pttl}` reply of the claim script into a {@link ClaimResult}. */
export function decodeExisting(value: unknown, pttl: unknown): ClaimResult {
  if (typeof value !== 'string' || value.length < 2) {
    throw new TypeError(`unexpected idempotency record ${JSON.stringify(value)}`);
  }
  const record = JSON.parse(value.slice(1)) as Record<string, unknown>;
  const fingerprint = String(record.f);
  if (value[0] === 'p') {
    // PTTL is the server's own view of the lease; -1/-2 cannot occur inside the script.
    return { outcome: 'in_flight', fingerprint, leaseRemainingMs: Math.max(1, Number(pttl)) };
  }
  const body = Buffer.from(String(record.b ?? ''), 'base64');
  return {
    outcome: 'completed',
    fingerprint,
    response: {
      status: Number(record.st),
      headers: (record.h ?? {}) as Record<string, string>,
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    },
  };
}
