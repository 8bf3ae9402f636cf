/**
 * One idempotent execution through the engine over a MemoryStore (claim →
 * run → record), for two builds in one process: `BULWARK_BEFORE` (a saved
 * dist/) against the current dist/, in the harness's interleaved, paired
 * rounds. The baseline is the before build, so the ratio reads "after / before".
 * Also the store alone (claim + complete) and the fingerprint + storage key.
 *
 *   BULWARK_BEFORE=.tmp/dist-before node --expose-gc benchmarks/profile/engine-pair.mjs
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareTime } from '../harness.mjs';

const before = resolve(process.env.BULWARK_BEFORE ?? '.tmp/dist-before');
const after = resolve(new URL('../../dist', import.meta.url).pathname);

async function open(dir) {
  const root = await import(pathToFileURL(`${dir}/index.js`).href);
  const idem = await import(pathToFileURL(`${dir}/idempotency/index.js`).href);
  return { ...root, ...idem };
}

const RESPONSE = {
  status: 201,
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode('{"id":"tr_1","status":"accepted","amount":1250}'),
};
const BODY = { amount: 1250, currency: 'EUR', from: 'acc-1', to: 'acc-2' };

let sequence = 0;
function engineCase(lib) {
  const engine = lib.createIdempotencyEngine({ store: new lib.MemoryStore() });
  // Both builds: the first field is the same value, whatever it is called.
  const operation = async () => ({ response: RESPONSE, store: true, record: true });
  return async () => {
    const n = sequence++;
    const key = lib.idempotencyStorageKey({
      tenantId: 'acme',
      method: 'POST',
      route: '/transfers',
      clientKey: `k-${n}`,
    });
    const fingerprint = lib.requestFingerprint({
      method: 'POST',
      path: '/transfers',
      contentType: 'application/json',
      body: { kind: 'json', value: BODY },
    });
    await engine.execute({ key, fingerprint }, operation);
  };
}

function storeCase(lib) {
  const store = new lib.MemoryStore();
  return async () => {
    const key = (sequence++).toString(16).padStart(64, '0');
    const ownerToken = `owner-${sequence}`;
    await store.claim({ key, fingerprint: 'f'.repeat(64), ownerToken, leaseMs: 30_000 });
    await store.complete({ key, ownerToken, response: RESPONSE, retentionMs: 120_000 });
  };
}

const [a, b] = [await open(before), await open(after)];
for (const [id, make] of [
  ['engine-memory', engineCase],
  ['memory-store', storeCase],
]) {
  await compareTime({
    id,
    title: `${id}: before vs after`,
    cases: [
      { id: 'before', label: `before (${before})`, fn: make(a) },
      { id: 'after', label: 'after (dist/)', fn: make(b) },
    ],
  });
}
