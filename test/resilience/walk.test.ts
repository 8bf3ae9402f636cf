import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resilient } from '../../src/index.js';

/*
 * Issue 14: a newcomer follows one successful `resilient().execute()` in at
 * most five source files, and ARCHITECTURE.md names them. V8's precise
 * coverage counts every function call, so the files a call really runs are
 * the files with a count above zero after it. Defaults, telemetry on, no OTel
 * SDK registered (the no-op meter): the case every test process is in.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The numbered steps of the walk in ARCHITECTURE.md, as `src/...` paths. */
function walkInArchitecture(): string[] {
  const text = readFileSync(`${ROOT}ARCHITECTURE.md`, 'utf8');
  const section = text.split('## One successful `resilient().execute()`')[1]?.split('\n## ')[0];
  const steps = (section ?? '').split('\n').filter((line) => /^\d+\. `src\//.test(line));
  return steps.map((line) => /`(src\/[^`]+)`/.exec(line)![1]!);
}

const session = new Session();

beforeAll(async () => {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
});

afterAll(async () => {
  await session.post('Profiler.stopPreciseCoverage');
  session.disconnect();
});

/** The `src/` files with at least one function called while `run` ran. */
async function filesRunBy(run: () => Promise<unknown>): Promise<string[]> {
  // Taking coverage resets the counts: what the next take reports is `run` alone.
  await session.post('Profiler.takePreciseCoverage');
  await run();
  const { result } = await session.post('Profiler.takePreciseCoverage');
  const files = new Set<string>();
  for (const script of result) {
    const path = script.url.startsWith('file:') ? fileURLToPath(script.url) : script.url;
    if (!path.startsWith(`${ROOT}src/`)) continue;
    if (script.functions.some((fn) => fn.ranges.some((range) => range.count > 0))) {
      files.add(path.slice(ROOT.length).split('?')[0]!);
    }
  }
  return [...files].sort();
}

describe('one successful resilient().execute() (defaults, telemetry on, no SDK)', () => {
  it('runs code in at most five source files, the ones ARCHITECTURE.md walks through', async () => {
    const pipeline = resilient('walk');
    // Warm-up: first-use work (a breaker created, a bucket of the timer) is not the walk.
    for (let i = 0; i < 3; i++) await pipeline.execute(() => 'ok');
    const files = await filesRunBy(() => pipeline.execute(() => 'ok'));
    const walk = walkInArchitecture();
    expect(walk.length).toBeGreaterThan(0);
    expect(walk.length).toBeLessThanOrEqual(5);
    expect(files).toEqual([...walk].sort());
  });
});
