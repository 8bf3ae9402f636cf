/**
 * Starting and stopping the server and load-generator processes of the HTTP
 * scenarios. Every wait is bounded, and every process started is stopped.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** Spawns `node <file> ...args` and resolves its first stdout line as JSON, within `timeoutMs`. */
export async function spawnJsonLine(file, args, timeoutMs) {
  const child = spawn(process.execPath, [here(file), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [line] = await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`${file} ${args.join(' ')} exited with ${code} before answering`);
      }),
    ]);
    return { child, message: JSON.parse(line) };
  } finally {
    clearTimeout(timer);
  }
}

/** Starts a server variant in its own process: `{ child, port }` or `{ skip }`. */
export async function startServer(variant, scriptFile = './server.mjs') {
  const { child, message } = await spawnJsonLine(scriptFile, [variant], 30_000);
  if (message.skip) return { skip: message.skip };
  return { child, port: message.port };
}

/** Stops a process started here and waits (bounded) for it to exit. */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs autocannon in its own process against `url` for `durationS` seconds. */
export async function load({ url, durationS, connections }) {
  const timeoutMs = (durationS + 30) * 1000;
  const { child, message } = await spawnJsonLine(
    './load.mjs',
    [JSON.stringify({ url, durationS, connections })],
    timeoutMs,
  );
  await stop(child);
  return message;
}
