/**
 * The progress line while the demo runs: rewritten in place on a terminal,
 * one line per phase and every few seconds otherwise (CI logs).
 */

/**
 * @param {{ exchanges: import('./client.mjs').Exchange[], executions: () => number, elapsedMs: () => number }} source
 */
export function startProgress({ exchanges, executions, elapsedMs }) {
  const tty = Boolean(process.stdout.isTTY);
  let phase = 'starting';
  let lastPrinted = 0;

  function line() {
    const n = (/** @type {number} */ status) => exchanges.filter((e) => e.status === status).length;
    const replays = exchanges.filter((e) => e.replayed).length;
    return (
      `[${(elapsedMs() / 1000).toFixed(1).padStart(5)}s] ${phase.padEnd(23)} ` +
      `requests ${String(exchanges.length).padStart(4)}  201 ${n(201)} (replays ${replays})  ` +
      `409 ${n(409)}  422 ${n(422)}  503 ${n(503)}  bank executions ${executions()}`
    );
  }

  const timer = setInterval(() => {
    if (tty) process.stdout.write(`\r${line()}\x1b[K`);
    else if (elapsedMs() - lastPrinted >= 5000) print();
  }, 250);
  timer.unref();

  function print() {
    lastPrinted = elapsedMs();
    if (tty) process.stdout.write(`\r${line()}\x1b[K\n`);
    else console.log(line());
  }

  return {
    /** @param {string} next */
    setPhase(next) {
      if (phase !== 'starting') print();
      phase = next;
    },
    stop() {
      clearInterval(timer);
      print();
    },
  };
}
