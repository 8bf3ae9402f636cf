/**
 * The values a stored record or a downstream system holds on to stay the same
 * from one bulwark build to the next: a storage key that changed would miss a
 * record written before an upgrade (the retry runs twice), an operation id or
 * derived key that changed would reach the bank as a new payment, and a
 * fingerprint that changed would refuse an honest retry as a mismatch. Each
 * value below was computed by an earlier build; any rewrite of the hashing
 * must reproduce it.
 */
import { describe, expect, it } from 'vitest';
import {
  createIdempotencyEngine,
  idempotencyStorageKey,
  requestFingerprint,
} from '../../src/idempotency/index.js';
import { getOperation, MemoryStore, type Operation, withTenant } from '../../src/index.js';

async function operationUnder(key: string, tenantId: string | undefined): Promise<Operation> {
  const engine = createIdempotencyEngine({ store: new MemoryStore() });
  let seen: Operation | undefined;
  const execute = () =>
    engine.execute({ key, fingerprint: 'f' }, async () => {
      seen = getOperation();
      return { response: { status: 201, headers: {}, body: new Uint8Array() }, record: true };
    });
  await (tenantId === undefined ? execute() : withTenant({ tenantId }, execute));
  if (seen === undefined) throw new Error('no operation inside execute');
  return seen;
}

const EXECUTIONS = [
  {
    parts: { tenantId: 'acme', principal: 'user-1', clientKey: 'key-1' },
    key: '4dd1802c0a70028f4b6f57b28592a076b226d11757937e636535f07755bda672',
    id: '44db8b76-21f5-8b72-962e-059cd280f5fb',
    bankKey: '82e65f5b-4058-85e8-9774-945b799db07a',
  },
  {
    parts: { tenantId: undefined, principal: undefined, clientKey: 'k' },
    key: '39a8c56dd88ead8859fb17abfea7c3ab856e8414c03478ab15dab4375311de76',
    id: '1377b497-8bc8-8226-8651-3e9753cea18e',
    bankKey: 'cb03f749-c40c-8a8d-aa61-7747901eab93',
  },
  {
    parts: { tenantId: 'globex', principal: undefined, clientKey: 'é-ü-\u{1F600}' },
    key: '1b05405e30d9d9835a2be896dd62605eb402f349877dc592fb0a2293afba3cf9',
    id: '9586d7b5-f989-83c8-b068-f62419849cb4',
    bankKey: '08f5c7c2-3dd0-8ea3-9b66-9854ca216bde',
  },
];

describe('values that outlive a build', () => {
  it('storage keys, operation ids and derived keys are those of earlier builds', async () => {
    for (const { parts, key, id, bankKey } of EXECUTIONS) {
      const storageKey = idempotencyStorageKey({
        ...parts,
        method: 'post',
        route: '/transfers/:id',
      });
      expect(storageKey).toBe(key);
      const operation = await operationUnder(storageKey, parts.tenantId);
      expect(operation.id).toBe(id);
      expect(operation.deriveKey('bank-payment')).toBe(bankKey);
    }
    expect(
      idempotencyStorageKey({
        tenantId: 'acme',
        method: 'POST',
        route: '/zahlungen/über/\u{1F4B6}',
        clientKey: 'k-1',
      }),
    ).toBe('4c9f8b1bfbfd82a903e15184b07e3df2eb79ca47a49598e1317c4da65db6bb87');
  });

  it('fingerprints are those of earlier builds, for small and large bodies in any key order', () => {
    const json = (value: unknown) => ({ kind: 'json', value }) as const;
    const fingerprints = [
      requestFingerprint({
        method: 'post',
        path: '/t/1',
        query: 'b=2&a=1',
        contentType: 'application/json; charset=utf-8',
        body: json({ z: [1, -0, null, 'é\n'], a: { d: 1e21, c: true } }),
      }),
      requestFingerprint({
        method: 'PUT',
        path: '/t',
        body: { kind: 'bytes', bytes: new Uint8Array([0, 1, 2, 255]) },
      }),
      requestFingerprint({
        method: 'POST',
        path: '/t',
        contentType: 'application/json',
        body: json({ to: 'b', amount: 5, from: 'a', meta: { y: 1, x: [{ b: 1, a: 2 }] } }),
      }),
      // Larger than any buffer kept between calls, then small again.
      requestFingerprint({
        method: 'POST',
        path: '/upload',
        contentType: 'application/octet-stream',
        body: { kind: 'bytes', bytes: new Uint8Array(20_000).map((_, i) => i % 251) },
      }),
      requestFingerprint({
        method: 'POST',
        path: '/t',
        contentType: 'application/json',
        body: json({ note: 'ü'.repeat(5000) }),
      }),
      requestFingerprint({
        method: 'PUT',
        path: '/t',
        body: { kind: 'bytes', bytes: new Uint8Array([0, 1, 2, 255]) },
      }),
    ];
    expect(fingerprints).toEqual([
      'd70825513b2a744f1c32d615cd0a421ca9d59164f2f8749f848cb92055e9282d',
      'ce056a997e74ee7a8841aa03da187c2e772e6c6a0319d0f487201b64ea63eebf',
      '11b967f8f29d8a36bb5a97b21d9263076546ee5960b6d45d7b9ce3de8eef4273',
      'a58559124da2cba4b96f7fcf84c7e018b2f8116361bfde4e9203e32eb2f2e42d',
      'f373179bd71dfe94a75c64918759e29e075c87020e092a23aa132da87c450096',
      'ce056a997e74ee7a8841aa03da187c2e772e6c6a0319d0f487201b64ea63eebf',
    ]);
  });

  it('fingerprints of parsed bodies already in key order are those of earlier builds', () => {
    const fingerprint = (value: unknown) =>
      requestFingerprint({
        method: 'POST',
        path: '/transfers',
        contentType: 'application/json',
        body: { kind: 'json', value },
      });
    expect([
      fingerprint({ amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' }),
      fingerprint(
        JSON.parse(
          '{"a":[1,2.5,-3e-7,1e21,true,false,null,"x\\"y\\\\z\\n\\u0001\\u00e9\\ud83d\\ude00"],"b":{"c":{},"d":[]},"e":""}',
        ),
      ),
      fingerprint(Object.assign(Object.create(null), { a: 1, b: 'two' })),
      fingerprint(['tail', { z: 1 }]),
      fingerprint('just a string'),
    ]).toEqual([
      '339d67f6a0d45918b01bd715da8584f11703ed37184e860ff15f1f0c0019b801',
      'c36619e52726f1151781d83da4664c1c0880db6deb4a5593e87bd91ed94419f4',
      '0f4bfd31af1a6581390d21738ca05e3305b3e6c6989b88bcaa28b6a00db5b0df',
      '60e7c8256603fb352932913e011003f6a03dabab4a9a267e9ef40b63d75cbb92',
      '2a44d61c566739f0468aa6af7d346662f48aaee776772aaf2ff2f7e5e0375dd7',
    ]);
  });
});
