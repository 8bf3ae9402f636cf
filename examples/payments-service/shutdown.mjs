/**
 * Graceful stop on SIGTERM / SIGINT: stop accepting connections, let in-flight
 * requests finish (a payment half-done is worse than a slow stop), close idle
 * keep-alive connections as they free up, and after `timeoutMs` cut whatever
 * is left. Then release the store and flush telemetry, and exit.
 */

/**
 * @param {import('node:http').Server} server
 * @param {{ timeoutMs: number, cleanup: () => Promise<void>, log: (message: string) => void, beforeDrain?: () => void }} options
 */
export function stopGracefullyOn(server, { timeoutMs, cleanup, log, beforeDrain }) {
  let stopping = false;
  /** @param {NodeJS.Signals} signal */
  async function stop(signal) {
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: draining in-flight requests (at most ${timeoutMs} ms)`);
    beforeDrain?.();
    await drain(server, timeoutMs);
    try {
      await cleanup();
    } catch (error) {
      log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    log('stopped');
    process.exit(0);
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * Resolves when every connection is closed, or after `timeoutMs` when the
 * remaining ones are cut.
 * @param {import('node:http').Server} server
 * @param {number} timeoutMs
 */
function drain(server, timeoutMs) {
  return new Promise((resolve) => {
    // A connection whose request just finished becomes idle: close it then.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(undefined);
    });
    server.closeIdleConnections();
  });
}
