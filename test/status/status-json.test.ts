import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyEngine } from '../../src/idempotency/index.js';
import { keyByTenant, MemoryStore, resilient, withTenant } from '../../src/index.js';
import { defineSlo } from '../../src/slo/index.js';
import { STATUS_SCHEMA_VERSION, type StatusReport, statusHandler } from '../../src/status/index.js';
import { resetError } from '../resilience/helpers.js';
import { validate } from '../support/json-schema.js';
import { serveStatus } from './serve.js';

const schema = JSON.parse(
  readFileSync(new URL('../../docs/status-schema.json', import.meta.url), 'utf8'),
);

async function getJson(url: string, accept = 'application/json') {
  const response = await fetch(url, { headers: { accept } });
  const text = await response.text();
  return { response, text, report: JSON.parse(text) as StatusReport };
}

describe('the JSON report', () => {
  let service: Awaited<ReturnType<typeof serveStatus>>;

  beforeAll(async () => {
    // Created at start, as an application does: history and outcomes count from here.
    const handler = statusHandler();
    // Every layer in a telling state: an open and a closed breaker, a consecutive
    // one, a per-tenant bulkhead with calls running, spent budgets, an SLO, outcomes.
    const bank = resilient('json-bank', {
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      breaker: { minimumCalls: 4, failureRatio: 0.5, breakDurationMs: 60_000 },
      bulkhead: { keyBy: keyByTenant, maxConcurrent: 2, maxQueued: 1 },
    });
    for (let i = 0; i < 4; i++) {
      await bank
        .execute(() => Promise.reject(resetError()), { key: 'https://down.test' })
        .catch(() => undefined);
    }
    await bank.execute(() => 'ok', { key: 'https://up.test' });
    const ledger = resilient('json-ledger', {
      retry: false,
      bulkhead: false,
      breaker: { mode: 'consecutive', consecutiveFailures: 3 },
    });
    await ledger.execute(() => Promise.reject(resetError())).catch(() => undefined);
    void withTenant({ tenantId: 'tenant-json' }, () =>
      bank.execute(() => new Promise((resolve) => setTimeout(resolve, 2_000))),
    );
    const slo = defineSlo({ name: 'json-slo', sli: { kind: 'availability' }, objective: 0.99 });
    for (let i = 0; i < 50; i++) {
      slo.record({
        method: 'POST',
        route: '/t',
        statusCode: i % 10 === 0 ? 503 : 201,
        durationSeconds: 0.01,
      });
    }
    const engine = createIdempotencyEngine({ store: new MemoryStore() });
    const op = async () => ({
      response: { status: 201, headers: {}, body: new Uint8Array() },
      record: true,
    });
    await engine.execute({ key: 'j1', fingerprint: 'a' }, op);
    await engine.execute({ key: 'j1', fingerprint: 'a' }, op);
    await engine.execute({ key: 'j1', fingerprint: 'b' }, op);
    service = await serveStatus(handler);
  });
  afterAll(() => service.close());

  it('validates against docs/status-schema.json, schemaVersion 1', async () => {
    const { response, report } = await getJson(service.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(report.schemaVersion).toBe(STATUS_SCHEMA_VERSION);
    expect(validate(schema, report)).toEqual([]);
  });

  it('the example in docs/status-schema.md validates too', () => {
    const doc = readFileSync(new URL('../../docs/status-schema.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(validate(schema, JSON.parse(example ?? ''))).toEqual([]);
  });

  it('the schema check can fail: a report with a wrong field is refused', async () => {
    const { report } = await getJson(service.url);
    const broken = structuredClone(report) as unknown as Record<string, unknown>;
    (broken.pipelines as Record<string, unknown>[])[0]!.trend = 'sideways';
    delete (broken.idempotency as Record<string, unknown>).totals;
    broken.extra = true;
    expect(validate(schema, broken)).toEqual([
      expect.stringContaining('$.pipelines[0].trend'),
      expect.stringContaining('$.idempotency: missing totals'),
      expect.stringContaining('$: unexpected extra'),
    ]);
  });

  it('reports each layer as it stands: breaker per key with time to half-open, bulkhead, budget, SLO, outcomes', async () => {
    const { report } = await getJson(service.url);
    const bank = report.pipelines.find((p) => p.name === 'json-bank')!;
    expect(bank.calls).toBe(6);
    expect(bank.failures).toBe(4);
    // Created after the handler: all its calls are in the interval in progress.
    expect(bank.history).toEqual({ intervalMs: 10_000, calls: [6], failures: [4] });
    expect(bank.trend).toBe('worse');
    expect(bank.breaker?.states).toEqual({ closed: 2, open: 1, half_open: 0 });
    expect(bank.breaker?.listed[0]).toMatchObject({ key: 'https://down.test', state: 'open' });
    expect(bank.breaker?.listed[0]?.halfOpenInMs).toBeGreaterThan(50_000);
    expect(bank.breaker?.listed[1]).toMatchObject({
      key: 'https://up.test',
      state: 'closed',
      failureRatio: 0,
    });
    expect(bank.bulkhead).toMatchObject({ maxConcurrent: 2, maxQueued: 1, active: 1, queued: 0 });
    expect(
      bank.retryBudget?.listed.find((k) => k.key === 'https://down.test')?.remaining,
    ).toBeLessThan(
      bank.retryBudget?.listed.find((k) => k.key === 'https://down.test')?.allowed ?? 0,
    );
    const ledger = report.pipelines.find((p) => p.name === 'json-ledger')!;
    expect(ledger.breaker?.listed[0]).toMatchObject({ key: '', consecutiveFailures: 1 });
    expect(ledger.bulkhead).toBeNull();
    expect(ledger.retryBudget).toBeNull();
    const slo = report.slos.find((s) => s.name === 'json-slo')!;
    expect(slo).toMatchObject({ total: 50, bad: 5, budgetExhausted: false });
    expect(slo.burnRates['5m']).toBeCloseTo(10);
    expect(report.idempotency.totals).toMatchObject({ executed: 1, replayed: 1, mismatch: 1 });
    expect(report.idempotency.perMinute.at(-1)).toMatchObject({
      executed: 1,
      replayed: 1,
      mismatch: 1,
    });
  });

  it('shows no tenant id unless showTenants: true', async () => {
    const hidden = await getJson(service.url);
    expect(hidden.text).not.toContain('tenant-json');
    const bulkhead = hidden.report.pipelines.find((p) => p.name === 'json-bank')?.bulkhead;
    expect(bulkhead?.listed.map((k) => k.key)).toContain(null);
    const shown = await serveStatus(statusHandler({ showTenants: true }));
    try {
      const { text, report } = await getJson(shown.url);
      expect(report.tenantsShown).toBe(true);
      expect(text).toContain('"key":"tenant-json"');
    } finally {
      await shown.close();
    }
  });

  it('answers JSON only when the client prefers it, HTML otherwise', async () => {
    const kind = async (accept: string | undefined, query = '') => {
      const response = await fetch(`${service.url}${query}`, accept ? { headers: { accept } } : {});
      await response.arrayBuffer();
      return response.headers.get('content-type')?.split(';')[0];
    };
    expect(await kind('application/json')).toBe('application/json');
    expect(await kind('text/html;q=0.5, application/json')).toBe('application/json');
    expect(await kind('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(
      'text/html',
    );
    expect(await kind('*/*')).toBe('text/html');
    expect(await kind(undefined)).toBe('text/html');
    expect(await kind('application/json;q=0.2, text/html')).toBe('text/html');
    expect(await kind('text/html', '?format=json')).toBe('application/json');
  });

  it('is read-only: other methods get 405 problem+json with Allow; HEAD gets headers only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await fetch(service.url, {
        method,
        headers: { accept: 'application/json' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({
        type: 'urn:bulwark:problem:method-not-allowed',
        status: 405,
      });
    }
    const head = await fetch(service.url, {
      method: 'HEAD',
      headers: { accept: 'application/json' },
    });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe('bounds', () => {
  it('keeps the response bounded with 10,000 keys: at most maxKeys listed per layer, the rest summarised', async () => {
    const sizeWith = async (keys: number, name: string) => {
      const pipeline = resilient(name, {
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1, budget: { maxKeys: 20_000 } },
        breaker: { maxKeys: 20_000, minimumCalls: 1, failureRatio: 0.5, breakDurationMs: 60_000 },
        bulkhead: { maxKeys: 20_000, keyBy: (call) => call.key },
      });
      for (let i = 0; i < keys; i++)
        await pipeline.execute(() => 'ok', { key: `https://h${i}.test` });
      // Three keys fail: their breakers open and must come first, whatever their age.
      for (const i of [17, 4_242, keys - 1]) {
        await pipeline
          .execute(() => Promise.reject(resetError()), { key: `https://h${i}.test`, retry: false })
          .catch(() => undefined);
      }
      const service = await serveStatus(statusHandler({ pipelines: [pipeline] }));
      try {
        const { text, report } = await getJson(service.url);
        expect(validate(schema, report)).toEqual([]);
        return { bytes: Buffer.byteLength(text), report };
      } finally {
        await service.close();
      }
    };
    const small = await sizeWith(30, 'bounds-small');
    const big = await sizeWith(10_000, 'bounds-big');
    const breaker = big.report.pipelines[0]!.breaker!;
    expect(breaker.keys).toBe(10_000);
    expect(breaker.listed).toHaveLength(20);
    expect(breaker.omitted).toBe(9_980);
    expect(breaker.states).toEqual({ closed: 9_997, open: 3, half_open: 0 });
    expect(breaker.listed.slice(0, 3).map((k) => k.state)).toEqual(['open', 'open', 'open']);
    expect(big.report.pipelines[0]!.bulkhead).toMatchObject({ keys: 10_000, omitted: 9_980 });
    expect(big.report.pipelines[0]!.retryBudget).toMatchObject({ keys: 10_000, omitted: 9_980 });
    console.log(
      `status JSON: ${small.bytes} bytes with 30 keys, ${big.bytes} bytes with 10,000 keys`,
    );
    expect(big.bytes).toBeLessThan(16 * 1024);
    expect(big.bytes).toBeLessThan(small.bytes * 1.5);
  }, 60_000);

  it('lists at most maxPipelines pipelines and counts the rest', async () => {
    const many = Array.from({ length: 12 }, (_, i) => resilient(`bounds-many-${i}`));
    const service = await serveStatus(statusHandler({ pipelines: many, maxPipelines: 5 }));
    try {
      const { report } = await getJson(service.url);
      expect(report.pipelines).toHaveLength(5);
      expect(report.pipelinesOmitted).toBe(7);
    } finally {
      await service.close();
    }
  });
});

describe('options', () => {
  it('are validated once, with errors that name the field', () => {
    expect(() => statusHandler({ maxKeys: 0 })).toThrow(
      /"maxKeys" must be an integer from 1 to 1000, got 0/,
    );
    expect(() => statusHandler({ updateIntervalMs: 10 })).toThrow(/updateIntervalMs/);
    expect(() => statusHandler({ showTenants: 'yes' as never })).toThrow(/showTenants/);
    expect(() => statusHandler({ pipelines: [{}] as never })).toThrow(/pipelines/);
    expect(() => statusHandler({ maxkeys: 3 } as never)).toThrow(/maxkeys/);
    expect(() => statusHandler({ title: '' })).toThrow(/title/);
  });
});
