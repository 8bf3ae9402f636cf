import type { ClaimRequest, ClaimResult, CompleteRequest } from '../../src/idempotency/index.js';
import type { IdempotencyStore } from '../../src/index.js';

/**
 * How one store method misbehaves: throw, never answer, answer `false` (fenced
 * out), or do the work but answer only after `lateMs` (a timeout that committed).
 */
export type Fault = 'throw' | 'hang' | 'fenced' | 'late' | undefined;

/**
 * A deliberately broken store for tests: it forwards to a real store (a
 * MemoryStore) unless a fault is set for the method, and counts calls. It is
 * not a mock of Redis or PostgreSQL; it implements the store contract badly on
 * purpose, the way a store that is down, slow or taken over behaves.
 */
export class FaultyStore implements IdempotencyStore {
  readonly faults: { claim?: Fault; renew?: Fault; complete?: Fault; release?: Fault } = {};
  readonly calls = { claim: 0, renew: 0, complete: 0, release: 0 };
  lateMs = 200;

  constructor(private readonly inner: IdempotencyStore) {}

  claim(request: ClaimRequest): Promise<ClaimResult> {
    this.calls.claim += 1;
    if (this.faults.claim === 'late') return this.#late(this.inner.claim(request));
    return this.#misbehave('claim') ?? this.inner.claim(request);
  }

  renew(key: string, ownerToken: string, leaseMs: number): Promise<boolean> {
    this.calls.renew += 1;
    return this.#misbehave('renew') ?? this.inner.renew(key, ownerToken, leaseMs);
  }

  complete(request: CompleteRequest): Promise<boolean> {
    this.calls.complete += 1;
    return this.#misbehave('complete') ?? this.inner.complete(request);
  }

  release(key: string, ownerToken: string): Promise<boolean> {
    this.calls.release += 1;
    return this.#misbehave('release') ?? this.inner.release(key, ownerToken);
  }

  async #late<T>(answer: Promise<T>): Promise<T> {
    const value = await answer;
    await new Promise((resolve) => setTimeout(resolve, this.lateMs));
    return value;
  }

  #misbehave<T>(method: keyof FaultyStore['calls']): Promise<T> | undefined {
    const fault = this.faults[method];
    if (fault === 'throw') return Promise.reject(new Error(`store ${method} is down`));
    if (fault === 'hang') return new Promise<T>(() => {});
    if (fault === 'fenced') return Promise.resolve(false as T);
    return undefined;
  }
}
