import { defineConfig } from 'tsup';

/**
 * One entry per subpath export. Each entry is its own bundle root so that the
 * root import (`bulwark`) never pulls in an optional peer such as the OTel SDK;
 * shared code is split into chunks.
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'idempotency/index': 'src/idempotency/index.ts',
    'resilience/index': 'src/resilience/index.ts',
    'express/index': 'src/express/index.ts',
    'fastify/index': 'src/fastify/index.ts',
    'fetch/index': 'src/fetch/index.ts',
    'redis/index': 'src/redis/index.ts',
    'postgres/index': 'src/postgres/index.ts',
    'otel/index': 'src/otel/index.ts',
    'otel/register': 'src/otel/register.ts',
    'slo/index': 'src/slo/index.ts',
    'status/index': 'src/status/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  // No source maps: dist/ is unminified ESM, readable as it is, and the maps
  // would be a third of what `npm install bulwark` brings (the core install is
  // held to 2 MB in the package checks).
  sourcemap: false,
  clean: true,
  splitting: true,
  treeshake: true,
});
