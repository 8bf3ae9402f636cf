/**
 * `bulwark/status`: a live status page for the on-call engineer. One plain
 * `(req, res)` handler serves the page (self-contained HTML, updated over
 * server-sent events) and its JSON, from the state the pipelines, SLOs and
 * idempotency engine of the process already keep. No runtime dependency.
 */

export type { StatusHandler } from './handler.js';
export { statusHandler } from './handler.js';
export type { StatusOptions } from './options.js';
export type {
  BreakerKeyReport,
  BreakerReport,
  BulkheadReport,
  CallHistory,
  IdempotencyReport,
  ListedKey,
  OutcomeCounts,
  PipelineReport,
  RetryBudgetReport,
  SloReport,
  StatusReport,
  Trend,
} from './report-types.js';
export { STATUS_SCHEMA_VERSION } from './report-types.js';
