import { describe, expect, it } from 'vitest';
import { resilient } from '../../src/index.js';
import { sourceFilesRunBy, walkInArchitecture } from '../support/walk.js';

/*
 * Issue 14: a newcomer follows one successful `resilient().execute()` in at
 * most five source files, and ARCHITECTURE.md names them. V8's precise
 * coverage counts every function call, so the files a call really runs are
 * the files with a count above zero after it. Defaults, telemetry on, no OTel
 * SDK registered (the no-op meter): the case every test process is in.
 */

describe('one successful resilient().execute() (defaults, telemetry on, no SDK)', () => {
  it('runs code in at most five source files, the ones ARCHITECTURE.md walks through', async () => {
    const pipeline = resilient('walk');
    // Warm-up: first-use work (a breaker created, a bucket of the timer) is not the walk.
    for (let i = 0; i < 3; i++) await pipeline.execute(() => 'ok');
    const files = await sourceFilesRunBy(() => pipeline.execute(() => 'ok'));
    const walk = walkInArchitecture('One successful `resilient().execute()`').steps;
    expect(walk.length).toBeGreaterThan(0);
    expect(walk.length).toBeLessThanOrEqual(5);
    expect(files).toEqual([...walk].sort());
  });
});
