import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bank, startBank } from '../../examples/bank-simulator/bank.mjs';
import { type ServiceProcess, startService } from '../../examples/demo/service-process.mjs';
import { ensureBuilt, postTransfer, type TransferCall, validTransfer } from './harness.js';

// Bad input of every kind: never a 5xx, never a crash, never a call to the
// bank. This file never sends a valid request, so the bank must see 0 hits.

let bank: Bank;
let service: ServiceProcess;
let url: string;
let port: number;
let counter = 0;

beforeAll(async () => {
  ensureBuilt();
  bank = await startBank();
  service = await startService({ BANK_URL: bank.url });
  url = service.url;
  port = Number(new URL(url).port);
}, 120_000);

afterAll(async () => {
  try {
    // The service is still up and answering after everything below.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(bank.stats().hits).toBe(0);
  } finally {
    expect(await service?.stop()).toBe(0);
    await bank?.close();
  }
});

function key(): string {
  counter += 1;
  return `fuzz-${counter}`;
}

async function expectRefused(call: TransferCall) {
  const answer = await postTransfer(url, { tenant: 'fuzz', key: key(), ...call });
  expect(answer.status, answer.text).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.text).toBeLessThan(500);
  expect(bank.stats().hits).toBe(0);
  return answer;
}

const good = validTransfer();

describe('bad bodies', () => {
  it.each<[string, unknown]>([
    ['amount as a string', { ...good, amount: '100' }],
    ['amount as a float', { ...good, amount: 1.5 }],
    ['amount zero', { ...good, amount: 0 }],
    ['amount negative', { ...good, amount: -100 }],
    ['amount beyond safe integers', { ...good, amount: 2 ** 53 }],
    ['amount 1e308', { ...good, amount: 1e308 }],
    ['amount null', { ...good, amount: null }],
    ['amount an array', { ...good, amount: [100] }],
    ['amount an object', { ...good, amount: { value: 100 } }],
    ['amount a boolean', { ...good, amount: true }],
    ['currency unknown', { ...good, currency: 'XYZ' }],
    ['currency lower case', { ...good, currency: 'eur' }],
    ['currency a number', { ...good, currency: 978 }],
    ['currency missing', { amount: 1, from: 'a', to: 'b' }],
    ['from empty', { ...good, from: '' }],
    ['to 65 characters', { ...good, to: 'x'.repeat(65) }],
    ['from a number', { ...good, from: 12345 }],
    ['to with a NUL', { ...good, to: 'acc\u0000' }],
    ['to with CR LF', { ...good, to: 'acc\r\nX-Injected: 1' }],
    ['to with a bidi override', { ...good, to: 'acc\u202e' }],
    ['an unknown field', { ...good, debit: 'someone-else' }],
    ['an array body', [good]],
    ['a string body', 'transfer'],
    ['a number body', 42],
    ['null', null],
    ['an empty object', {}],
  ])('%s', async (_name, body) => {
    const answer = await expectRefused({ body });
    expect(answer.status).toBe(400);
  });

  it.each([
    ['truncated JSON', '{"amount": 1'],
    ['trailing garbage', `${JSON.stringify(good)}x`],
    ['an empty body', ''],
    ['single quotes', "{'amount': 1}"],
    ['a huge exact number', JSON.stringify(good).replace('1001', '9007199254740993')],
    ['deep nesting', `{"amount": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('latin1')],
  ])('%s', async (_name, rawBody) => {
    await expectRefused({ rawBody });
  });

  it('a 1 MiB body gets 413', async () => {
    const answer = await expectRefused({
      rawBody: JSON.stringify({ ...good, to: 'x'.repeat(1024 * 1024) }),
    });
    expect(answer.status).toBe(413);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])(
    'content type %s gets 415',
    async (contentType) => {
      expect((await expectRefused({ contentType })).status).toBe(415);
    },
  );

  it('a body in an unsupported charset is refused', async () => {
    await expectRefused({ contentType: 'application/json; charset=utf-16' });
  });

  it('200 random mixes of bad fields are all refused', async () => {
    const bad = {
      amount: [-1, 0, 0.5, '1', null, 2 ** 60, [], {}, false],
      currency: ['', 'EURO', 'usd', 1, null, 'ZZZ', ['EUR']],
      from: ['', 'x'.repeat(200), 7, null, '\u0007bell', {}],
      to: ['', 'y'.repeat(65), -1, null, '\u0085next-line', []],
    } as const;
    const random = seeded(20_260_507);
    for (let i = 0; i < 200; i += 1) {
      const body: Record<string, unknown> = { ...good };
      const fields = Object.keys(bad) as (keyof typeof bad)[];
      const broken = fields.filter(() => random() < 0.5);
      if (broken.length === 0) broken.push(fields[i % fields.length] as keyof typeof bad);
      for (const field of broken) {
        const options = bad[field];
        body[field] = options[Math.floor(random() * options.length)];
      }
      if (random() < 0.2) delete body[broken[0] as string];
      const answer = await postTransfer(url, { tenant: 'fuzz', key: key(), body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect(bank.stats().hits).toBe(0);
  }, 60_000);
});

describe('bad headers', () => {
  it.each<[string, TransferCall]>([
    ['no Idempotency-Key', { key: undefined }],
    ['no X-Tenant-Id', { tenant: undefined }],
    ['neither', { tenant: undefined, key: undefined }],
    ['an empty key', { key: '' }],
    ['a 256-character key', { key: 'k'.repeat(256) }],
    ['a key with a space', { key: 'a b' }],
    ['a key with a comma', { key: 'a,b' }],
    ['a key with a quote inside', { key: 'a"b' }],
    ['an empty tenant', { tenant: '' }],
    ['a tenant of 65 characters', { tenant: 't'.repeat(65) }],
    ['a tenant with a slash', { tenant: '../admin' }],
    ['a tenant with encoded CR LF', { tenant: 'acme%0d%0aX-Injected:%201' }],
    ['a jurisdiction that is no ISO code', { jurisdiction: 'Narnia' }],
  ])('%s gets 400', async (_name, call) => {
    const answer = await postTransfer(url, { tenant: 'fuzz', key: key(), body: good, ...call });
    expect(answer.status, answer.text).toBe(400);
    expect(bank.stats().hits).toBe(0);
  });

  it.each([
    [
      'two Idempotency-Key lines',
      'Idempotency-Key: a1\r\nIdempotency-Key: a2\r\nX-Tenant-Id: fuzz',
    ],
    ['two X-Tenant-Id lines', 'Idempotency-Key: a3\r\nX-Tenant-Id: fuzz\r\nX-Tenant-Id: evil'],
    ['a bare CR inside a value', 'Idempotency-Key: a4\rX-Injected: 1\r\nX-Tenant-Id: fuzz'],
    ['a bare LF inside a value', 'Idempotency-Key: a5\nX-Injected: 1\r\nX-Tenant-Id: fuzz'],
    ['a NUL inside a value', 'Idempotency-Key: a6\u0000x\r\nX-Tenant-Id: fuzz'],
    ['an obsolete folded line', 'Idempotency-Key: a7\r\n folded: 1\r\nX-Tenant-Id: fuzz'],
    ['a non-ASCII key', 'Idempotency-Key: clé\r\nX-Tenant-Id: fuzz'],
    ['a tenant with a space', 'Idempotency-Key: a8\r\nX-Tenant-Id: acme corp'],
  ])('%s never yields a 5xx or reaches the bank', async (_name, headers) => {
    const status = await rawPost(port, headers, JSON.stringify(good));
    expect(status === 'closed' || (status >= 400 && status < 500), String(status)).toBe(true);
    expect(bank.stats().hits).toBe(0);
  });
});

/** Sends a hand-written request (so malformed headers reach the server) and reads the status. */
function rawPost(target: number, headers: string, body: string): Promise<number | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: target });
    let received = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received);
      resolve(match ? Number(match[1]) : 'closed');
    });
    socket.end(
      Buffer.from(
        `POST /transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `${headers}\r\n\r\n${body}`,
        'utf8',
      ),
    );
  });
}

/** A small deterministic PRNG (mulberry32), so a failing mix can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
