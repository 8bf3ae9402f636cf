import { isSpanContextValid, trace } from '@opentelemetry/api';
import { Attr } from '../telemetry/attributes.js';
import { getTenant } from '../tenant/context.js';

/**
 * The context of the work in progress, as fields for one log line: the
 * active span's ids (named as the OpenTelemetry log data model and
 * `@opentelemetry/instrumentation-pino` name them) and the active tenant
 * (named as bulwark's span attributes). A field with nothing to say is
 * absent, never `undefined` or empty.
 */
export interface LogFields {
  /** The active trace, 32 lower-case hex digits. */
  trace_id?: string;
  /** The active span, 16 lower-case hex digits. */
  span_id?: string;
  /** The W3C trace flags, two hex digits (`01` = sampled). */
  trace_flags?: string;
  /** The active tenant's id (`withTenant`). */
  'tenant.id'?: string;
  /** The active tenant's jurisdiction, ISO 3166. */
  'tenant.jurisdiction'?: string;
  /** The kind of work in progress, such as `payout`. */
  'transaction.type'?: string;
}

/**
 * The fields to put on a log line written now: `trace_id`, `span_id`,
 * `trace_flags`, `tenant.id`, `tenant.jurisdiction`, `transaction.type`,
 * each present only when known. Reads the active OTel context and tenant,
 * so call it when the line is written (a pino `mixin`, a winston format),
 * not once at start. Never throws; costs two context look-ups.
 *
 * @example
 * const logger = pino({ mixin: () => logFields() });
 */
export function logFields(): LogFields {
  const fields: LogFields = {};
  const span = trace.getActiveSpan();
  if (span !== undefined) {
    const ids = span.spanContext();
    if (isSpanContextValid(ids)) {
      fields.trace_id = ids.traceId;
      fields.span_id = ids.spanId;
      fields.trace_flags = ids.traceFlags.toString(16).padStart(2, '0');
    }
  }
  const tenant = getTenant();
  if (tenant !== undefined) {
    fields[Attr.TenantId] = tenant.tenantId;
    if (tenant.jurisdiction !== undefined) fields[Attr.TenantJurisdiction] = tenant.jurisdiction;
    if (tenant.transactionType !== undefined) fields[Attr.TransactionType] = tenant.transactionType;
  }
  return fields;
}
