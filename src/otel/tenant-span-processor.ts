import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Attr } from '../telemetry/attributes.js';
import { getTenant, tenantInContext } from '../tenant/context.js';

/**
 * Stamps `tenant.id`, `tenant.jurisdiction` and `transaction.type` from the
 * tenant context onto every span when it starts, whoever creates the span (bulwark,
 * the http, express, undici, pg or ioredis instrumentations, the application).
 * Stamping at start, not at end, puts the tenant on spans that are still open
 * when the process dies and on spans ended outside the tenant's async scope.
 *
 * The attribute set is fixed in code and read from bulwark's own context key,
 * never from baggage, so a caller cannot spoof it. `startTelemetry` installs one;
 * add one yourself only when you build your own SDK.
 *
 * @example
 * new NodeSDK({ spanProcessors: [new TenantSpanProcessor(), new BatchSpanProcessor(exporter)] });
 */
export class TenantSpanProcessor implements SpanProcessor {
  /** Copies the tenant of the span's parent context (else the active one) onto the span. */
  onStart(span: Span, parentContext: Context): void {
    try {
      const tenant = tenantInContext(parentContext) ?? getTenant();
      if (tenant === undefined) return;
      span.setAttribute(Attr.TenantId, tenant.tenantId);
      if (tenant.jurisdiction !== undefined) {
        span.setAttribute(Attr.TenantJurisdiction, tenant.jurisdiction);
      }
      if (tenant.transactionType !== undefined) {
        span.setAttribute(Attr.TransactionType, tenant.transactionType);
      }
    } catch {
      // Telemetry observes and never throws into the code that started the span.
    }
  }

  /** Nothing to do: the attributes are set at start. */
  onEnd(_span: ReadableSpan): void {}

  /** Nothing is buffered here. */
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to release. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
