/** Who the work in progress is for. Frozen; read it with `getTenant()`. */
export interface Tenant {
  /** The tenant id: 1-64 characters of `[A-Za-z0-9._:-]`, not dots alone (`.`, `..`). */
  readonly tenantId: string;
  /** ISO 3166-1 alpha-2 code (`DE`) or ISO 3166-2 subdivision (`US-NY`: 1-3 letters or digits after the hyphen), upper-cased. */
  readonly jurisdiction?: string;
  /** The kind of work, such as `payout` or `card.capture`: 1-64 characters of `[a-z0-9_.-]`. */
  readonly transactionType?: string;
}

/** What `withTenant` accepts; the jurisdiction may be given in any case. */
export interface TenantInput {
  /** The tenant id: 1-64 characters of `[A-Za-z0-9._:-]`, not dots alone (`.`, `..`). */
  tenantId: string;
  /** ISO 3166-1 alpha-2 code (`DE`) or ISO 3166-2 subdivision (`us-ny`: 1-3 ASCII letters or digits after the hyphen); upper-cased when set. */
  jurisdiction?: string;
  /** The kind of work, 1-64 characters of `[a-z0-9_.-]`. */
  transactionType?: string;
}
