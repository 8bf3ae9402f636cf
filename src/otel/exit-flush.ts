/**
 * Flushes telemetry when the process is told to stop (`SIGTERM`) or runs out of
 * work (`beforeExit`), within a bound, without taking over the application's
 * own signal handling:
 * - if the application listens for `SIGTERM` itself, bulwark only flushes
 *   (telemetry keeps working while the application drains) and lets the
 *   application decide when to exit (call `shutdown()` from your handler before
 *   `process.exit()`: an exit cannot wait for a flush);
 * - if nobody else listens, bulwark shuts telemetry down (which flushes), then
 *   re-raises `SIGTERM` so the process ends exactly as it would have without
 *   bulwark: killed by the signal.
 * `beforeExit` shuts telemetry down. Both callbacks must be bounded and never reject.
 *
 * Returns the function that removes both listeners.
 */
export function installExitFlush(hooks: {
  flush: () => Promise<void>;
  shutdown: () => Promise<void>;
}): () => void {
  const onSigterm = function bulwarkTelemetrySigterm() {
    if (process.listenerCount('SIGTERM') > 1) {
      void hooks.flush();
      return;
    }
    uninstall();
    void hooks.shutdown().finally(() => {
      if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
    });
  };
  const onBeforeExit = function bulwarkTelemetryBeforeExit() {
    // Shutting down schedules I/O, so the loop runs again and 'beforeExit' fires
    // again: remove the listener first so the second one lets the process exit.
    uninstall();
    void hooks.shutdown();
  };
  function uninstall() {
    process.removeListener('SIGTERM', onSigterm);
    process.removeListener('beforeExit', onBeforeExit);
  }
  process.on('SIGTERM', onSigterm);
  process.on('beforeExit', onBeforeExit);
  return uninstall;
}

/** Resolves when `work` settles or after `timeoutMs`, whichever comes first; never rejects. */
export function bounded(work: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  const settled = Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      () => undefined,
    );
  return Promise.race([settled, deadline]).finally(() => clearTimeout(timer));
}
