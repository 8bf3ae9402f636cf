/**
 * Runs the payments service as a child process, the way it runs in
 * production: `node examples/payments-service/server.mjs`, configured by the
 * environment, ready when it logs `listening on <port>`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../payments-service/server.mjs', import.meta.url));

/**
 * Children still running: killed if this process exits first, so none is left orphaned.
 * @type {Set<import('node:child_process').ChildProcess>}
 */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * @typedef {object} ServiceProcess
 * @property {string} url base URL, such as `http://127.0.0.1:41234`
 * @property {string[]} lines every line the service wrote, stdout and stderr
 * @property {(listener: (line: string) => void) => void} onLine called for each new line
 * @property {(timeoutMs?: number) => Promise<number | null>} stop SIGTERM, then the exit code
 * @property {() => Promise<void>} kill SIGKILL: a crash, nothing drained or flushed
 */

/**
 * Starts the service and resolves once it listens.
 * @param {Record<string, string>} env added to the current environment
 * @param {{ startTimeoutMs?: number }} [options]
 * @returns {Promise<ServiceProcess>}
 */
export function startService(env, { startTimeoutMs = 20_000 } = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C in the terminal reaches this process only,
    // which then stops the service with one SIGTERM (see stop()), as in production.
    detached: true,
  });
  /** @type {string[]} */
  const lines = [];
  /** @type {((line: string) => void)[]} */
  const listeners = [];
  running.add(child);
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (/** @type {string} */ chunk) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const listener of listeners) listener(line);
      }
    });
  }

  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(
      () => fail('did not log "listening on <port>" in time'),
      startTimeoutMs,
    );
    /** @param {string} why */
    function fail(why) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`payments service ${why}:\n${lines.join('\n')}`));
    }
    exited.then((code) => {
      if (!ready) fail(`exited with code ${code} before listening`);
    });
    listeners.push((line) => {
      const match = /^listening on (\d+)$/.exec(line);
      if (match === null || ready) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        lines,
        onLine: (listener) => listeners.push(listener),
        stop: (timeoutMs = 15_000) => stop(child, exited, timeoutMs),
        kill: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {Promise<unknown>} exited
 * @param {number} timeoutMs
 * @returns {Promise<number | null>}
 */
async function stop(child, exited, timeoutMs) {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
  return child.exitCode;
}
