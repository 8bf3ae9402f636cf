import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/package/**'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration suites share one PostgreSQL and one Redis; isolate by key
    // prefix / table name in each suite rather than serialising everything.
    pool: 'forks',
    // .ci/run asks for a JSON report to total both Node runs.
    reporters: process.env.BULWARK_TEST_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.BULWARK_TEST_REPORT ? { json: process.env.BULWARK_TEST_REPORT } : {},
  },
});
