import { randomBytes } from 'node:crypto';
import { Script } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bank, startBank } from '../../examples/bank-simulator/bank.mjs';
import { type ServiceProcess, startService } from '../../examples/demo/service-process.mjs';
import { startScriptedServer } from '../support/scripted-server.js';
import {
  bankRecordsOf,
  ensureBuilt,
  OPERATION_ID,
  postTransfer,
  submitUntilFinal,
  uniqueId,
  validTransfer,
  waitFor,
} from './harness.js';

// The example service's HTTP contract (DESIGN.md, "The example service"),
// driven over HTTP against the simulated bank on loopback, which refuses a
// key re-sent with a payment that differs in any field (422, `refused`).

let bank: Bank;
let service: ServiceProcess;
let url: string;

beforeAll(async () => {
  ensureBuilt();
  bank = await startBank();
  service = await startService({ BANK_URL: bank.url, IDEMPOTENCY_STORE: 'memory' });
  url = service.url;
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await bank?.close();
});

function expectProblem(answer: { headers: Headers; json: Record<string, unknown> | undefined }) {
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.json?.type).toEqual(expect.any(String));
}

describe('POST /transfers', () => {
  it('creates a transfer: 201 { id (the operation id), status, bankReference }, one bank execution under that id', async () => {
    const before = bank.stats().executions;
    const answer = await postTransfer(url, { tenant: 'acme', key: uniqueId('k-') });
    expect(answer.status).toBe(201);
    expect(answer.json).toEqual({
      id: expect.stringMatching(OPERATION_ID),
      status: expect.any(String),
      bankReference: expect.any(String),
    });
    const stats = bank.stats();
    expect(stats.executions).toBe(before + 1);
    expect(bankRecordsOf(stats, answer.json?.id)).toEqual([
      expect.objectContaining({ executions: 1, bankReference: answer.json?.bankReference }),
    ]);
  });

  it('derives the bank key from the operation: never the client key, different per tenant', async () => {
    const key = uniqueId('k-');
    const a = await postTransfer(url, { tenant: 'tenant-x', key, body: validTransfer(11) });
    const b = await postTransfer(url, { tenant: 'tenant-y', key, body: validTransfer(11) });
    const stats = bank.stats();
    const [atBankA] = bankRecordsOf(stats, a.json?.id);
    const [atBankB] = bankRecordsOf(stats, b.json?.id);
    expect(atBankA?.key).toMatch(OPERATION_ID);
    expect(atBankB?.key).toMatch(OPERATION_ID);
    expect(atBankA?.key).not.toBe(atBankB?.key);
    expect(a.json?.id).not.toBe(b.json?.id);
    expect(Object.keys(stats.keys).some((k) => k.includes(key))).toBe(false);
  });

  it('replays a retry byte for byte with Idempotent-Replayed: true, without executing again', async () => {
    const call = {
      tenant: 'acme',
      jurisdiction: 'DE',
      key: uniqueId('k-'),
      body: validTransfer(2),
    };
    const first = await postTransfer(url, call);
    const executions = bank.stats().executions;
    const again = await postTransfer(url, call);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(bank.stats().executions).toBe(executions);
  });

  it('treats the quoted form of a key ("abc") as the same key: the same transfer, replayed', async () => {
    const key = uniqueId('k-');
    const before = bank.stats().executions;
    const bare = await postTransfer(url, { tenant: 'acme', key, body: validTransfer(14) });
    const quoted = await postTransfer(url, {
      tenant: 'acme',
      key: `"${key}"`,
      body: validTransfer(14),
    });
    expect(quoted.status).toBe(201);
    expect(quoted.headers.get('idempotent-replayed')).toBe('true');
    expect(quoted.text).toBe(bare.text);
    expect(bank.stats().executions).toBe(before + 1);
  });

  it('treats the same JSON with other key order and whitespace as the same request', async () => {
    const key = uniqueId('k-');
    const first = await postTransfer(url, { tenant: 'acme', key, body: validTransfer(3) });
    const { amount, currency, from, to } = validTransfer(3);
    const reordered = `{ "to": ${JSON.stringify(to)}, "from": "${from}",\n "currency": "${currency}", "amount": ${amount} }`;
    const again = await postTransfer(url, { tenant: 'acme', key, rawBody: reordered });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
  });

  it('answers 422 when a key is reused with another body, and the bank is not called', async () => {
    const key = uniqueId('k-');
    await postTransfer(url, { tenant: 'acme', key, body: validTransfer(4) });
    const hits = bank.stats().hits;
    const reused = await postTransfer(url, { tenant: 'acme', key, body: validTransfer(5) });
    expect(reused.status).toBe(422);
    expectProblem(reused);
    expect(bank.stats().hits).toBe(hits);
  });

  it('answers 409 with Retry-After while the first request is still in flight, then replays', async () => {
    const call = { tenant: 'acme', key: uniqueId('k-'), body: validTransfer(6) };
    bank.control({ mode: 'slow', count: 1, delayMs: 2000 });
    const hits = bank.stats().hits;
    const first = postTransfer(url, call);
    await waitFor(() => bank.stats().hits > hits);
    const concurrent = await postTransfer(url, call);
    expect(concurrent.status).toBe(409);
    expectProblem(concurrent);
    expect(Number(concurrent.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const original = await first;
    expect(original.status).toBe(201);
    const later = await postTransfer(url, call);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.text).toBe(original.text);
  });

  it('scopes keys per tenant: the same key from two tenants executes twice', async () => {
    const key = uniqueId('k-');
    const before = bank.stats().executions;
    const a = await postTransfer(url, { tenant: 'tenant-a', key, body: validTransfer(7) });
    const b = await postTransfer(url, { tenant: 'tenant-b', key, body: validTransfer(7) });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect(b.json?.bankReference).not.toBe(a.json?.bankReference);
    expect(bank.stats().executions).toBe(before + 2);
  });

  it.each([
    ['no Idempotency-Key', { tenant: 'acme' }],
    ['no X-Tenant-Id', { key: 'k-no-tenant' }],
    ['an invalid X-Tenant-Id', { tenant: 'not a tenant!', key: 'k-bad-tenant' }],
    ['an invalid X-Jurisdiction', { tenant: 'acme', jurisdiction: 'Germany', key: 'k-bad-j' }],
    [
      'a negative amount',
      { tenant: 'acme', key: 'k-neg', body: { ...validTransfer(), amount: -1 } },
    ],
    [
      'an unknown currency',
      { tenant: 'acme', key: 'k-cur', body: { ...validTransfer(), currency: 'XYZ' } },
    ],
    ['an empty account', { tenant: 'acme', key: 'k-acct', body: { ...validTransfer(), to: '' } }],
    ['invalid JSON', { tenant: 'acme', key: 'k-json', rawBody: '{"amount":' }],
  ])('answers 400 problem+json for %s, and the bank is not called', async (_name, call) => {
    const hits = bank.stats().hits;
    const answer = await postTransfer(url, call);
    expect(answer.status).toBe(400);
    expectProblem(answer);
    expect(bank.stats().hits).toBe(hits);
  });

  it('survives a bank that fails (503 burst, drop after executing): one execution per key', async () => {
    for (const fault of [
      { mode: 'burst503', count: 2, retryAfterS: 1 },
      { mode: 'drop', count: 1 },
    ] as const) {
      bank.control(fault);
      const before = bank.stats().executions;
      const call = { tenant: 'acme', key: uniqueId('k-'), body: validTransfer(8) };
      const answer = await submitUntilFinal(url, call);
      expect(answer.status).toBe(201);
      expect(bank.stats().executions).toBe(before + 1);
      const replay = await postTransfer(url, call);
      expect(replay.text).toBe(answer.text);
    }
    expect(bank.stats().refused).toBe(0);
  });
});

describe('when the outcome at the bank is unknown', () => {
  it('a bank that executes and drops every answer: 503 + Retry-After (the key is released), and the retry re-sends the identical payment and gets 201 with the same id', async () => {
    const ownBank = await startBank();
    const own = await startService({ BANK_URL: ownBank.url });
    try {
      const call = { tenant: 'acme', key: uniqueId('k-'), body: validTransfer(12) };
      // More drops than the service's attempts: its whole first execution ends without an answer.
      ownBank.control({ mode: 'drop', count: 4 });
      const unknown = await postTransfer(own.url, call);
      expect(unknown.status, unknown.text).toBe(503);
      expectProblem(unknown);
      expect(Number(unknown.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(ownBank.stats().executions).toBe(1);

      const answer = await submitUntilFinal(own.url, call);
      expect(answer.status, answer.text).toBe(201);
      const stats = ownBank.stats();
      const [sent] = Object.values(stats.keys);
      expect(answer.json?.id).toBe(sent?.transferId);
      expect(stats.executions).toBe(1);
      expect(stats.refused).toBe(0);
      expect(Object.keys(stats.keys)).toHaveLength(1);
      expect(sent?.hits).toBeGreaterThanOrEqual(2);

      const later = await postTransfer(own.url, call);
      expect(later.headers.get('idempotent-replayed')).toBe('true');
      expect(later.text).toBe(answer.text);
    } finally {
      await own.stop();
      await ownBank.close();
    }
  }, 60_000);

  it('a bank that refuses a re-sent key (422) is a bug here: 500, counted and logged, never a final 4xx; the key is released', async () => {
    const refusing = await startScriptedServer([
      { status: 422, body: JSON.stringify({ error: 'idempotency_key_reused' }) },
    ]);
    const own = await startService({ BANK_URL: refusing.origin });
    try {
      const call = { tenant: 'acme', key: uniqueId('k-'), body: validTransfer(13) };
      const first = await postTransfer(own.url, call);
      expect(first.status, first.text).toBe(500);
      expectProblem(first);
      expect(first.json?.type).toBe('urn:payments-service:problem:bank-refused-resend');
      expect(first.text).not.toContain(refusing.origin);
      // Not recorded: the same key runs again and the bank is asked again.
      const again = await postTransfer(own.url, call);
      expect(again.status).toBe(500);
      expect(refusing.received).toHaveLength(2);
      const metrics = await (await fetch(`${own.url}/metrics`)).text();
      expect(metrics).toMatch(/^payments_bank_refused_resends_total(\{[^}]*\})? 2$/m);
      await waitFor(() => own.lines.some((l) => l.includes('bank refused a re-sent payment')));
    } finally {
      await own.stop();
      await refusing.close();
    }
  }, 60_000);

  it('a bank that refuses the payment itself (400) is a 502: the bank said so', async () => {
    const refusing = await startScriptedServer([
      { status: 400, body: JSON.stringify({ error: 'account closed' }) },
    ]);
    const own = await startService({ BANK_URL: refusing.origin });
    try {
      const answer = await postTransfer(own.url, { tenant: 'acme', key: uniqueId('k-') });
      expect(answer.status, answer.text).toBe(502);
      expectProblem(answer);
      expect(answer.json?.type).toBe('urn:payments-service:problem:bank-rejected');
      expect(refusing.received).toHaveLength(1);
    } finally {
      await own.stop();
      await refusing.close();
    }
  }, 60_000);
});

describe('operations endpoints', () => {
  it('GET /healthz answers 200', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('GET /metrics answers the Prometheus text format', async () => {
    await postTransfer(url, { tenant: 'acme', key: uniqueId('k-') });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+( \d+)?$/);
    }
    // requestMetrics() is wired: transfers appear under their route template.
    expect(text).toMatch(/http_server_request_duration_count\{[^}]*http_route="\/transfers"/);
  });

  it('GET /slo answers each SLO with its error budget', async () => {
    const response = await fetch(`${url}/slo`);
    expect(response.status).toBe(200);
    const { slos } = (await response.json()) as { slos: { name: string; summary: string }[] };
    expect(slos.map((s) => s.name)).toEqual(['transfers-availability', 'transfers-latency']);
    for (const slo of slos) expect(slo.summary).toContain('error budget left');
  });

  it('GET /status serves the live status page, and its JSON shows the bank pipeline', async () => {
    const page = await fetch(`${url}/status`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('src="./status/app.js"');
    const script = await fetch(`${url}/status/app.js`);
    new Script(await script.text()); // the built script parses
    const json = await fetch(`${url}/status`, { headers: { accept: 'application/json' } });
    const report = (await json.json()) as { schemaVersion: number; pipelines: { name: string }[] };
    expect(report.schemaVersion).toBe(1);
    expect(report.pipelines.map((p) => p.name)).toContain('bank');
    expect(JSON.stringify(report)).not.toContain('"acme"'); // tenant ids stay hidden
  });

  it("logs pino lines with the caller's trace and the tenant (logFields)", async () => {
    const traceId = randomBytes(16).toString('hex');
    const key = uniqueId('k-');
    const answer = await postTransfer(url, {
      tenant: 'acme',
      jurisdiction: 'DE',
      key,
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(answer.status).toBe(201);
    const id = (answer.json as { id: string }).id;
    await waitFor(() => service.lines.some((line) => line.includes(id)));
    const line = JSON.parse(service.lines.find((l) => l.includes(id)) ?? '{}');
    expect(line).toMatchObject({
      msg: 'transfer completed',
      transferId: id,
      trace_id: traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
      'tenant.id': 'acme',
      'tenant.jurisdiction': 'DE',
    });
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const response = await fetch(`${url}/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('process lifecycle', () => {
  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const ownBank = await startBank();
    const own = await startService({ BANK_URL: ownBank.url });
    try {
      ownBank.control({ mode: 'slow', count: 1, delayMs: 1000 });
      const inFlight = postTransfer(own.url, { tenant: 'acme', key: uniqueId('k-') });
      await waitFor(() => ownBank.stats().hits === 1);
      const exitCode = own.stop();
      expect((await inFlight).status).toBe(201);
      expect(await exitCode).toBe(0);
    } finally {
      await own.stop();
      await ownBank.close();
    }
  }, 30_000);

  it('on SIGTERM ends open status page streams instead of waiting on them, then exits 0', async () => {
    const ownBank = await startBank();
    // A drain timeout far beyond stop()'s own SIGKILL bound: only ending the stream lets it exit 0.
    const own = await startService({ BANK_URL: ownBank.url, SHUTDOWN_TIMEOUT_MS: '120000' });
    const controller = new AbortController();
    try {
      const stream = await fetch(`${own.url}/status/events`, { signal: controller.signal });
      expect(stream.status).toBe(200);
      expect(await own.stop(10_000)).toBe(0);
    } finally {
      controller.abort();
      await own.kill();
      await ownBank.close();
    }
  }, 30_000);

  it('refuses to start with an invalid configuration, naming each variable', async () => {
    const start = startService({ BANK_URL: '', IDEMPOTENCY_STORE: 'sqlite' });
    await expect(start).rejects.toThrow(
      /BANK_URL is required[\s\S]*IDEMPOTENCY_STORE must be one of/,
    );
  }, 30_000);
});
