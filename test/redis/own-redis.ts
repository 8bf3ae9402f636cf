/**
 * A throwaway redis-server of our own, on a random loopback port, so a test can
 * kill and restart it without touching the shared Redis on 6379.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** A redis-server child process this suite owns. */
export interface OwnRedis {
  readonly port: number;
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

/** Starts a private redis-server on a free random port in 20000-40000. */
export async function startOwnRedis(): Promise<OwnRedis> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    let child: ChildProcess | undefined;
    try {
      child = await spawnRedis(port);
    } catch {
      continue;
    }
    let current: ChildProcess = child;
    return {
      port,
      async stop() {
        await kill(current);
      },
      async start() {
        current = await spawnRedis(port);
      },
    };
  }
  throw new Error('could not start a private redis-server on a random port');
}

function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`redis-server :${port} not ready: ${output}`)),
      10_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) =>
      fail(new Error(`redis-server :${port} exited ${code}: ${output}`)),
    );
    child.once('error', fail);
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
