import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { startScriptedServer } from '../support/scripted-server.js';

/** Every package `src/fetch/index.ts` loads at run time, through any file it imports. */
async function runtimePackagesOfFetch(): Promise<string[]> {
  const result = await build({
    entryPoints: [new URL('../../src/fetch/index.ts', import.meta.url).pathname],
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  const packages = new Set<string>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external) packages.add(imported.path);
    }
  }
  return [...packages].sort();
}

describe('bulwark/fetch dependencies', () => {
  it('loads no uuid package: keys come from node:crypto', async () => {
    const packages = await runtimePackagesOfFetch();
    expect(packages).not.toContain('uuid');
  });

  it('still adds a random v4 UUID key to a POST, a new one per call', async () => {
    const s = await startScriptedServer([{ status: 200 }]);
    try {
      const f = createFetch();
      await f(s.url, { method: 'POST', body: 'a' });
      await f(s.url, { method: 'POST', body: 'b' });
      const keys = s.received.map((r) => r.headers['idempotency-key']);
      for (const key of keys) {
        expect(key).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }
      expect(keys[0]).not.toBe(keys[1]);
    } finally {
      await s.close();
    }
  });
});
