/** Types of bank.mjs, for TypeScript callers such as the tests. */

/** How the bank misbehaves; see faults.mjs. */
export interface FaultSettings {
  mode: 'healthy' | 'burst503' | 'reset' | 'slow' | 'outage';
  /** How many of the next requests are affected. */
  count?: number;
  /** How long the mode lasts, in milliseconds. */
  forMs?: number;
  /** burst503: the `Retry-After` sent, in seconds (default 1). */
  retryAfterS?: number;
  /** slow: how long before the answer, in milliseconds (default 2000). */
  delayMs?: number;
  /** reset: execute the payment, then drop the connection (default false). */
  afterExecute?: boolean;
}

/** What `GET /stats` answers. */
export interface BankStats {
  /** Every `POST /payments` that reached the bank, valid or not. */
  hits: number;
  /** Distinct keys executed: money moved this many times. */
  executions: number;
  replays: number;
  mismatches: number;
  rejected: number;
  /** Per Idempotency-Key: requests seen, whether it executed, and what it executed as. */
  keys: Record<
    string,
    { hits: number; executions: number; bankReference?: string; transferId?: string }
  >;
  faults: { mode: FaultSettings['mode']; injected: Record<string, number> };
}

export interface BankOptions {
  /** TCP port; default 0 (a free one). */
  port?: number;
  /** Interface; default `127.0.0.1`. */
  host?: string;
  /** Largest request body accepted; default 65536. */
  maxBodyBytes?: number;
}

export interface Bank {
  url: string;
  port: number;
  stats(): BankStats;
  control(settings: FaultSettings): void;
  close(): Promise<void>;
}

/** Starts a bank and resolves once it listens. */
export function startBank(options?: BankOptions): Promise<Bank>;
