/**
 * The shared Redis and PostgreSQL on loopback, and whether they answer. A
 * scenario that needs one that is down is skipped with a loud reason.
 */
import { connect } from 'node:net';

/** Where the services are; REDIS_URL / DATABASE_URL override. */
export const SERVICES = {
  redis: { host: '127.0.0.1', port: 6379, url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  postgres: {
    host: '127.0.0.1',
    port: 5432,
    url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  },
};

/** Resolves `undefined` when `name` answers on its port, else the reason it is skipped. */
export function serviceDown(name, timeoutMs = 1000) {
  const { host, port } = SERVICES[name];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (up) => {
      socket.destroy();
      resolve(up ? undefined : `${name} is not answering on ${host}:${port}`);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * A suffix that keeps this run's keys and tables apart from everyone else's.
 * Child processes inherit it through BENCH_RUN_ID, so their parent can clean up
 * after them even when one was killed.
 */
export const RUN_ID = process.env.BENCH_RUN_ID ?? `${process.pid}_${Date.now().toString(36)}`;
