/**
 * Telemetry for the service: bulwark/otel with the standard OTEL_* variables,
 * Prometheus text served on the app's own `GET /metrics`, and the service's
 * SLOs (bulwark/slo), fed by requestMetrics() and reported on `GET /slo`.
 */
import { metrics } from '@opentelemetry/api';
import { startTelemetry } from 'bulwark/otel';
import { defineSlo, formatBudget } from 'bulwark/slo';

/**
 * Starts telemetry. OTLP export is on only when an OTLP endpoint or exporter
 * is configured, so a laptop without a collector gets no export errors;
 * `OTEL_SDK_DISABLED=true` turns everything off (then `/metrics` answers 404).
 * @param {string} serviceName default `service.name`; `OTEL_SERVICE_NAME` wins
 * @param {Record<string, string | undefined>} env usually `process.env`
 */
export function startServiceTelemetry(serviceName, env) {
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const traces =
    otlp || Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_TRACES_EXPORTER);
  const metrics =
    otlp || Boolean(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT || env.OTEL_METRICS_EXPORTER);
  return startTelemetry({
    serviceName,
    ...(traces ? {} : { traces: false }),
    ...(metrics ? {} : { otlpMetrics: false }),
    prometheus: { listen: false },
    // server.mjs flushes itself, after the in-flight requests have drained.
    flushOnExit: false,
  });
}

/**
 * The service's objectives for `POST /transfers`: 99% of requests without a
 * server error, and 99% within one second, over 28 days.
 */
export function defineServiceSlos() {
  const selector = { routes: ['/transfers'], methods: ['POST'] };
  return [
    defineSlo({
      name: 'transfers-availability',
      sli: { kind: 'availability' },
      objective: 0.99,
      selector,
      description: '99% of transfer requests are answered without a server error',
    }),
    defineSlo({
      name: 'transfers-latency',
      sli: { kind: 'latency', thresholdSeconds: 1 },
      objective: 0.99,
      selector,
      description: '99% of transfer requests are answered within one second',
    }),
  ];
}

/**
 * `GET /slo`: each SLO's snapshot and a one-line summary of its error budget.
 * @param {ReturnType<typeof defineServiceSlos>} slos
 * @returns {import('express').RequestHandler}
 */
export function sloReport(slos) {
  return function sloReportHandler(_req, res) {
    res.json({
      slos: slos.map((slo) => {
        const snapshot = slo.snapshot();
        return { ...snapshot, summary: formatBudget(snapshot) };
      }),
    });
  };
}

/**
 * The counter of payments the bank refused as a re-sent key with other
 * parameters (`payments.bank.refused_resends`, `payments_bank_refused_resends_total`
 * on `/metrics`). It must stay at 0: this service re-sends only the identical
 * payment, so each one is a bug worth an alert. Call it after telemetry started:
 * a meter taken before is a no-op for good.
 * @returns {() => void} adds one
 */
export function countRefusedResends() {
  const counter = metrics
    .getMeter('payments-service')
    .createCounter('payments.bank.refused_resends', {
      description: 'Payments the bank refused because their key was used for another payment',
    });
  return function countRefusedResend() {
    counter.add(1);
  };
}
