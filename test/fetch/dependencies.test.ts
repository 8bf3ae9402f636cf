import { describe, expect, it } from 'vitest';
import { createFetch } from '../../src/fetch/index.js';
import { startScriptedServer } from '../support/scripted-server.js';
import { runtimePackagesOf } from './source-tree.js';

describe('bulwark/fetch dependencies', () => {
  it('loads no uuid package: keys come from node:crypto', async () => {
    const packages = await runtimePackagesOf('src/fetch/index.ts');
    // The walk sees the packages it must (so an empty list is not a pass by accident).
    expect(packages).toContain('@opentelemetry/api');
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
