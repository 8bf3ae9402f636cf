/** Types of bank.mjs, for TypeScript callers such as the tests. */

/** How the bank misbehaves; see faults.mjs. */
export interface FaultSettings {
  /**
   * `reset` drops the connection before processing; `drop` processes the payment
   * (executes or replays it), then drops the connection without answering; `slow`
   * processes it, then waits `delayMs` before answering.
   */
  mode: 'healthy' | 'burst503' | 'reset' | 'drop' | 'slow' | 'outage';
  /** How many of the next requests are affected. */
  count?: number;
  /** How long the mode lasts, in milliseconds. */
  forMs?: number;
  /** burst503: the `Retry-After` sent, in seconds (default 1). */
  retryAfterS?: number;
  /** slow: how long before the answer, in milliseconds (default 2000). */
  delayMs?: number;
}

/** What `GET /stats` answers. */
export interface BankStats {
  /** Every `POST /payments` that reached the bank, valid or not. */
  hits: number;
  /** Distinct keys executed: money moved this many times. */
  executions: number;
  /** The identical payment again under a key that already executed (answered from the record, or dropped). */
  replays: number;
  /** Re-sends refused with 422: a known key with a payment that differs in any field. */
  refused: number;
  /** Requests refused with 400: no valid key or payment. */
  rejected: number;
  /** Per Idempotency-Key: requests seen, whether it executed, re-sends refused, what it executed as. */
  keys: Record<
    string,
    {
      hits: number;
      executions: number;
      refused: number;
      bankReference?: string;
      transferId?: string;
    }
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
  /** Switches the fault mode; throws a TypeError for settings `POST /control` would refuse. */
  control(settings: FaultSettings): void;
  close(): Promise<void>;
}

/** Starts a bank and resolves once it listens. */
export function startBank(options?: BankOptions): Promise<Bank>;
