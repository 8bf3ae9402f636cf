import { connect } from 'node:net';

/** Connection settings of the real services the integration tests use. */
export const services = {
  redis: { host: '127.0.0.1', port: 6379, url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  postgres: {
    host: '127.0.0.1',
    port: 5432,
    url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
} as const;

/** Names of the services a test suite can require. */
export type ServiceName = keyof typeof services;

/**
 * Resolves true when the service answers on its port. When it does not: under
 * `CI=true` it throws (so the suite fails, never silently skips); on a laptop it
 * prints a loud reason and resolves false, for `describe.skipIf(!available)`.
 */
export async function requireService(name: ServiceName): Promise<boolean> {
  const { host, port } = services[name];
  const up = await answers(host, port);
  if (up) return true;
  const reason = `${name} is not answering on ${host}:${port}`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI=true, so this suite fails`);
  console.warn(`\n!!! SKIPPING ${name} integration tests: ${reason} !!!\n`);
  return false;
}

function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
