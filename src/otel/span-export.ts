import { type Context, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { WarningCode, warn } from '../warnings.js';
import { sdk } from './sdk.js';
import { warnOnce } from './warn.js';

/** Upstream's default queue bound (`OTEL_BSP_MAX_QUEUE_SIZE`). */
const DEFAULT_MAX_QUEUE_SIZE = 2048;

/** A batching span processor that also says how many spans it dropped. */
export interface CountingSpanProcessor extends SpanProcessor {
  /** Spans dropped because the export queue was full, since start. */
  droppedSpans(): number;
}

/**
 * Wraps upstream's `BatchSpanProcessor` (settings from `OTEL_BSP_*`) so that a
 * full queue is visible to the application. Upstream reports drops only through its
 * experimental self-observability metrics; here the queue bound is enforced one step earlier, with the
 * same rule (sampled spans ended but not yet handed to the exporter), so every
 * span upstream would drop is counted, warned about and never buffered.
 * The request that ended the span is never slowed: dropping is O(1).
 */
export function createCountingSpanProcessor(exporter: SpanExporter): CountingSpanProcessor {
  const maxQueueSize = queueSizeFromEnv();
  let queued = 0;
  let dropped = 0;
  let droppedInBurst = 0;
  const counted: SpanExporter = {
    export(spans, resultCallback) {
      queued = Math.max(0, queued - spans.length);
      exporter.export(spans, resultCallback);
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const batch = new sdk.trace.BatchSpanProcessor({ exporter: counted, maxQueueSize });
  return {
    onStart: (span: Span, parentContext: Context) => batch.onStart(span, parentContext),
    onEnd(span: ReadableSpan) {
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) {
        if (queued >= maxQueueSize) {
          dropped++;
          droppedInBurst++;
          if (droppedInBurst === 1) {
            warnOnce(
              `span export queue full (${maxQueueSize}): dropping spans; see droppedSpans()`,
            );
          }
          return;
        }
        if (droppedInBurst > 0) {
          warn(
            WarningCode.Otel,
            `bulwark/otel: dropped ${droppedInBurst} spans: export queue full`,
          );
          droppedInBurst = 0;
        }
        queued++;
      }
      batch.onEnd(span);
    },
    forceFlush: () => batch.forceFlush(),
    shutdown: () => batch.shutdown(),
    droppedSpans: () => dropped,
  };
}

function queueSizeFromEnv(): number {
  const fromEnv = sdk.core.getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE');
  if (fromEnv === undefined) return DEFAULT_MAX_QUEUE_SIZE;
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  warnOnce(`OTEL_BSP_MAX_QUEUE_SIZE=${fromEnv} is not a positive integer; using 2048`);
  return DEFAULT_MAX_QUEUE_SIZE;
}
