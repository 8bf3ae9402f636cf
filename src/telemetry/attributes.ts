/**
 * Every attribute and metric name bulwark writes, spelled once. No semantic
 * convention covers tenants, breakers, bulkheads or idempotency, so these use
 * bulwark's own names; HTTP names follow the stable HTTP semantic conventions.
 */

/** Span and metric attribute names. */
export const Attr = {
  TenantId: 'tenant.id',
  TenantJurisdiction: 'tenant.jurisdiction',
  TransactionType: 'transaction.type',
  PipelineName: 'pipeline.name',
  EventName: 'event.name',
  ErrorType: 'error.type',
  Attempt: 'bulwark.attempt',
  CircuitState: 'bulwark.circuit.state',
  /** The breaker / bulkhead key (e.g. a URL origin); bounded by the pipeline's maxKeys. */
  ResilienceKey: 'bulwark.resilience.key',
  /** Who decided a breaker transition: `local` (this process) or `fleet` (a shared breaker's peer). */
  BreakerOrigin: 'bulwark.breaker.origin',
  /** Delay before the next retry, in milliseconds (span events only). */
  RetryDelayMs: 'bulwark.retry.delay_ms',
  IdempotencyOutcome: 'bulwark.idempotency.outcome',
  HttpRequestMethod: 'http.request.method',
  HttpRoute: 'http.route',
  HttpResponseStatusCode: 'http.response.status_code',
  HttpRequestResendCount: 'http.request.resend_count',
  ServerAddress: 'server.address',
  ServerPort: 'server.port',
  SloName: 'slo.name',
  SloWindow: 'slo.window',
  SloOutcome: 'slo.outcome',
  SloSeverity: 'slo.severity',
} as const;

/** Metric instrument names. */
export const Metric = {
  ResilienceEvents: 'bulwark.resilience.events',
  AttemptDuration: 'bulwark.resilience.attempt.duration',
  PipelineDuration: 'bulwark.resilience.pipeline.duration',
  CircuitState: 'bulwark.resilience.circuit.state',
  BulkheadOccupancy: 'bulwark.resilience.bulkhead.occupancy',
  IdempotencyRequests: 'bulwark.idempotency.requests',
  HttpServerRequestDuration: 'http.server.request.duration',
  SloErrorBudgetRemaining: 'bulwark.slo.error_budget.remaining',
  SloBurnRate: 'bulwark.slo.burn_rate',
  SloEvents: 'bulwark.slo.events',
  SloAlertFiring: 'bulwark.slo.alert.firing',
} as const;

/** The instrumentation scope name of bulwark's tracer and meter. */
export const INSTRUMENTATION_SCOPE = 'bulwark';

/**
 * The label value a cardinality guard records for values beyond its first N
 * (tenant ids, jurisdictions). Never a valid jurisdiction, which is upper-case.
 */
export const OTHER_LABEL = 'other';

/** The tenant-id value a cardinality guard records for tenants beyond its top N. */
export const OTHER_TENANT = OTHER_LABEL;
