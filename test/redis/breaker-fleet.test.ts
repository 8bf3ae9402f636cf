/**
 * The proof of the shared breaker, with real processes and a real Redis: three
 * instances of a service call a downstream that fails every request
 * (`consecutiveFailures: 5`). Each scenario runs with the breaker shared
 * through RedisBreakerState and, for the figures beside it, without.
 * The instances run test/redis/fixtures/fleet-instance.mjs over a private
 * build; the downstream is an HTTP server in this process that logs each
 * request's instance and time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateBuild, privateBuild } from '../support/private-build.js';
import { requireService, services } from '../support/services.js';
import { type OwnRedis, startOwnRedis } from './own-redis.js';

const up = await requireService('redis');
const fixture = fileURLToPath(new URL('./fixtures/fleet-instance.mjs', import.meta.url));
const suite = `bulwark-test:breaker-fleet:${randomBytes(6).toString('hex')}:`;
const BREAK_MS = 2_000;
const CALL_EVERY_MS = 20;

let build: PrivateBuild | undefined;
let scratch = '';
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!up) return;
  build = await privateBuild({ index: 'index.ts', 'redis/index': 'redis/index.ts' });
  scratch = mkdtempSync(join(tmpdir(), 'bulwark-fleet-'));
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  build?.remove();
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  if (!up) return;
  const admin = new Redis(services.redis.port, '127.0.0.1');
  const keys = await admin.keys(`${suite}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

/** The downstream: fails (503) or answers (200), and logs who called when. */
class Downstream {
  failing = true;
  readonly log: { instance: string; atMs: number }[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.log.push({ instance: String(req.headers['x-instance']), atMs: performance.now() });
      res.statusCode = this.failing ? 503 : 200;
      res.end(this.failing ? 'down' : 'ok');
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`;
  }

  /** Requests from `instances` (all if omitted) between two times. */
  count(fromMs: number, toMs: number, instances?: readonly string[]): number {
    return this.log.filter(
      (r) =>
        r.atMs >= fromMs &&
        r.atMs < toMs &&
        (instances === undefined || instances.includes(r.instance)),
    ).length;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

interface Stats {
  calls: number;
  ok: number;
  downstream: number;
  open: number;
  other: number;
  otherSamples: string[];
  maxMs: number;
  state: string;
  snapshot: { breakers: { key: string; state: string; remainingMs: number }[] };
  transitions: { name: string; origin: string; atMs: number }[];
  up: boolean | undefined;
}

class Instance {
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly port: number,
  ) {}

  private async control(path: string, method = 'GET'): Promise<Stats> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { method });
    return (await res.json()) as Stats;
  }

  stats = () => this.control('/stats');
  start = () => this.control('/start', 'POST');
  stop = () => this.control('/stop', 'POST');

  /** SIGTERM (the fixture writes its snapshot) and wait for the exit. */
  async terminate(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    children.delete(this.child);
  }
}

function spawnInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, BULWARK_DIST: build?.dir ?? '', NAME: name, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /listening (\d+)/.exec(out)?.[1];
      if (port) resolve(new Instance(name, child, Number(port)));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early with ${code}`)));
  });
}

/** Polls until `check` holds (every 25 ms); throws after `ms`. */
async function until(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(25);
  }
}

/** The gaps between consecutive downstream requests in a time range, in ms. */
function gaps(downstream: Downstream, fromMs: number, toMs: number): number[] {
  const times = downstream.log.filter((r) => r.atMs >= fromMs && r.atMs < toMs).map((r) => r.atMs);
  return times.slice(1).map((t, i) => t - times[i]!);
}

interface Figures {
  shared: boolean;
  lateCallsDuringBreak: number;
  windowMs: number;
  probesInWindow: number;
  probesPerBreak: number;
  probesByInstance: Record<string, number>;
  minGapMs: number;
  /** From the first request after the heal (a probe) until all three read closed. */
  closeAllAfterProbeMs: number;
  closedBy: string[];
}

/** One run of the scenario of issue 17; returns its figures. */
async function scenario(shared: boolean): Promise<Figures> {
  const downstream = new Downstream();
  await downstream.start();
  const env = {
    SHARED: shared ? '1' : '0',
    REDIS_PORT: String(services.redis.port),
    KEY_PREFIX: `${suite}${shared ? 'shared' : 'alone'}:`,
    DOWNSTREAM: downstream.url,
    BREAK_MS: String(BREAK_MS),
    CALL_EVERY_MS: String(CALL_EVERY_MS),
  };
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => spawnInstance(n, env)));
  try {
    // a calls until its breaker opens; b and c start a second later.
    await a!.start();
    await until(5_000, 'a opens', async () => (await a!.stats()).state === 'open');
    const openedAt = downstream.log.filter((r) => r.instance === 'a')[4]!.atMs;
    await sleep(Math.max(0, openedAt + 1_000 - performance.now()));
    await Promise.all([b!.start(), c!.start()]);
    const breakEnd = openedAt + BREAK_MS;
    await sleep(breakEnd - performance.now() - 50);
    const lateCallsDuringBreak = downstream.count(0, breakEnd - 50, ['b', 'c']);

    // Four break intervals more, downstream still failing.
    await sleep(breakEnd + 4 * BREAK_MS + 100 - performance.now());
    const windowFrom = breakEnd - 50;
    const windowTo = performance.now();
    const probes = downstream.log.filter((r) => r.atMs >= windowFrom && r.atMs < windowTo);
    const probesByInstance: Record<string, number> = {};
    for (const r of probes) probesByInstance[r.instance] = (probesByInstance[r.instance] ?? 0) + 1;
    const windowGaps = gaps(downstream, windowFrom, windowTo);

    // The downstream heals: the next probe closes every instance.
    const healedAt = performance.now();
    downstream.failing = false;
    // (closed by the probe's own success, or by the fleet's word)
    await until(3 * BREAK_MS + 2_000, 'all closed', async () => {
      const states = await Promise.all([a, b, c].map(async (i) => (await i!.stats()).state));
      return states.every((s) => s === 'closed');
    });
    const firstProbe = downstream.log.find((r) => r.atMs >= healedAt)!.atMs;
    const final = await Promise.all([a, b, c].map((i) => i!.stats()));
    for (const stats of final) {
      expect(stats.other, stats.otherSamples.join('; ')).toBe(0);
    }
    return {
      shared,
      lateCallsDuringBreak,
      windowMs: Math.round(windowTo - windowFrom),
      probesInWindow: probes.length,
      probesPerBreak: probes.length / ((windowTo - windowFrom) / BREAK_MS),
      probesByInstance,
      minGapMs: Math.round(Math.min(...windowGaps)),
      closeAllAfterProbeMs: Math.round(performance.now() - firstProbe),
      closedBy: final.map(
        (s) => s.transitions.filter((t) => t.name === 'circuit_closed').at(-1)?.origin ?? '-',
      ),
    };
  } finally {
    await Promise.all([a, b, c].map((i) => i?.terminate()));
    await downstream.stop();
  }
}

describe.skipIf(!up)('one breaker for the fleet: three processes, one Redis', () => {
  it('late instances send nothing during the break; one probe per break across the fleet; a heal closes all', async () => {
    const alone = await scenario(false);
    const shared = await scenario(true);
    console.log(`fleet figures: ${JSON.stringify({ alone, shared }, null, 1)}`);

    // Without sharing each late instance learns alone (5 failures each), and each probes.
    expect(alone.lateCallsDuringBreak).toBe(10);
    expect(alone.probesPerBreak).toBeGreaterThan(2);

    expect(shared.lateCallsDuringBreak).toBe(0);
    // One probe per break interval: never two within one break of each other.
    expect(shared.minGapMs).toBeGreaterThanOrEqual(BREAK_MS - 100);
    expect(shared.probesInWindow).toBeGreaterThanOrEqual(3);
    expect(shared.probesInWindow).toBeLessThanOrEqual(5);
    // The healthy downstream: one probe closes all three, two of them by the fleet's word.
    expect(shared.closedBy.filter((o) => o === 'fleet')).toHaveLength(2);
    expect(shared.closedBy.filter((o) => o === 'local')).toHaveLength(1);
  }, 90_000);
});

describe.skipIf(!up)('the fleet when its Redis dies mid-run (a private redis-server)', () => {
  let own: OwnRedis;
  beforeAll(async () => {
    own = await startOwnRedis();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('no call fails or stalls because of Redis; a restart mid-outage starts open; all converge after', async () => {
    const downstream = new Downstream();
    downstream.failing = false;
    await downstream.start();
    const env = (name: string) => ({
      SHARED: '1',
      REDIS_PORT: String(own.port),
      KEY_PREFIX: `${suite}outage:`,
      DOWNSTREAM: downstream.url,
      BREAK_MS: String(BREAK_MS),
      CALL_EVERY_MS: String(CALL_EVERY_MS),
      SNAPSHOT_FILE: join(scratch, `${name}.json`),
    });
    const [a, b] = await Promise.all(['a', 'b'].map((n) => spawnInstance(n, env(n))));
    let c = await spawnInstance('c', env('c'));
    const all = () => [a!, b!, c];
    try {
      await Promise.all(all().map((i) => i.start()));
      await sleep(500);
      await own.stop();
      // Redis is gone: the healthy downstream keeps answering every call.
      await sleep(1_000);
      for (const stats of await Promise.all(all().map((i) => i.stats()))) {
        expect(stats.downstream + stats.open + stats.other).toBe(0);
        expect(stats.ok).toBeGreaterThan(10);
      }
      // The downstream fails: each instance's own breaker opens, on its own five failures.
      const failedAt = performance.now();
      downstream.failing = true;
      await until(5_000, 'each opens alone', async () => {
        const states = await Promise.all(all().map(async (i) => (await i.stats()).state));
        return states.every((s) => s === 'open');
      });
      for (const name of ['a', 'b', 'c']) {
        expect(downstream.count(failedAt, performance.now(), [name])).toBeGreaterThanOrEqual(5);
      }
      // c restarts mid-outage, from the snapshot it wrote on SIGTERM: it starts open.
      await c.terminate();
      c = await spawnInstance('c', env('c'));
      const restarted = await c.stats();
      expect(restarted.state).toBe('open');
      const restartedAt = performance.now();
      await c.start();
      await sleep(300);
      expect(downstream.count(restartedAt, performance.now(), ['c'])).toBe(0);
      // Meanwhile each instance probes on its own: more than one probe per break.
      const aloneFrom = performance.now();
      await sleep(2 * BREAK_MS);
      const aloneProbes = downstream.count(aloneFrom, performance.now());
      expect(aloneProbes).toBeGreaterThanOrEqual(4);

      // Redis returns (empty): within a few seconds all three read it again and share one break.
      await own.start();
      const returnedAt = performance.now();
      await until(5_000, 'converged', async () => {
        const stats = await Promise.all(all().map((i) => i.stats()));
        const entries = stats.map((s) => s.snapshot.breakers.find((e) => e.key === ''));
        if (stats.some((s) => s.up !== true)) return false;
        if (entries.some((e) => e === undefined || e.state !== 'open')) return false;
        const left = entries.map((e) => e!.remainingMs);
        return Math.max(...left) - Math.min(...left) <= 50;
      });
      const convergedMs = performance.now() - returnedAt;
      // From then on: one probe per break across the three.
      const from = performance.now();
      await sleep(3 * BREAK_MS);
      const fleetGaps = gaps(downstream, from, performance.now());
      const probes = downstream.count(from, performance.now());
      // Healed: all three close.
      downstream.failing = false;
      await until(3 * BREAK_MS + 2_000, 'all closed', async () => {
        const states = await Promise.all(all().map(async (i) => (await i.stats()).state));
        return states.every((s) => s === 'closed');
      });
      const final = await Promise.all(all().map((i) => i.stats()));
      console.log(
        `outage figures: ${JSON.stringify({
          probesIn2BreaksAlone: aloneProbes,
          convergedMs: Math.round(convergedMs),
          probesIn3Breaks: probes,
          minGapMs: Math.round(Math.min(...fleetGaps)),
          maxCallMs: final.map((s) => Math.round(s.maxMs)),
          other: final.map((s) => s.other),
        })}`,
      );
      expect(fleetGaps.every((g) => g >= BREAK_MS - 100)).toBe(true);
      expect(probes).toBeGreaterThanOrEqual(2);
      expect(probes).toBeLessThanOrEqual(4);
      for (const stats of final) {
        expect(stats.other, stats.otherSamples.join('; ')).toBe(0);
        expect(stats.maxMs).toBeLessThan(1_000);
      }
    } finally {
      await Promise.all(all().map((i) => i.terminate()));
      await downstream.stop();
    }
  }, 90_000);
});
