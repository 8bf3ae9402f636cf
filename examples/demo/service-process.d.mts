/** Types of service-process.mjs, for TypeScript callers such as the tests. */

/** The payments service running as a child process. */
export interface ServiceProcess {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  url: string;
  /** Every line the service wrote so far, stdout and stderr. */
  lines: string[];
  /** Calls `listener` for each new line. */
  onLine(listener: (line: string) => void): void;
  /** Sends SIGTERM (SIGKILL after `timeoutMs`, default 15 000) and resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL: a crash, nothing drained or flushed; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts `node examples/payments-service/server.mjs` with `env` added; resolves once it listens. */
export function startService(
  env: Record<string, string>,
  options?: { startTimeoutMs?: number },
): Promise<ServiceProcess>;
