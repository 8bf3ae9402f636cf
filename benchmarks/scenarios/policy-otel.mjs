/**
 * Scenario 1b: policy overhead with an OTel SDK registered (context manager,
 * tracer and meter providers; see otel-sdk.mjs). What a user would hand-wire:
 * an active span around the cockatiel wrap, recording the error. bulwark:
 * `resilient()` defaults, alone and inside `withTenant`; and with its telemetry
 * off, to show what the metrics and span events cost once an SDK records them.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';
import { registerSdk } from '../otel-sdk.mjs';
import { cockatielWrap, ignore, work } from '../policies.mjs';

const TENANT = { tenantId: 'acme-payments', jurisdiction: 'DE', transactionType: 'payout' };

/** A span around the cockatiel wrap, as the OTel docs teach it. */
function spannedCockatiel(call) {
  const tracer = trace.getTracer('bench');
  const policy = cockatielWrap();
  return () =>
    tracer.startActiveSpan('downstream.call', async (span) => {
      try {
        return await policy.execute(() => call());
      } catch (error) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}

function cases(bulwark, call) {
  const spanned = spannedCockatiel(call);
  const policy = bulwark.ok && bulwark.exports.resilient('bench-otel');
  const quiet = bulwark.ok && bulwark.exports.resilient('bench-quiet', { telemetry: false });
  const withTenant = bulwark.ok && bulwark.exports.withTenant;
  return [
    { id: 'bare', label: 'bare async call', fn: () => call().catch(ignore) },
    {
      id: 'cockatiel-span',
      label: 'OTel span around cockatiel wrap (hand-wired)',
      fn: () => spanned().catch(ignore),
    },
    {
      id: 'resilient',
      label: 'bulwark resilient() defaults',
      fn: policy && (() => policy.execute(() => call()).catch(ignore)),
      reason: bulwark.reason,
    },
    {
      id: 'resilient-no-telemetry',
      label: 'bulwark resilient({ telemetry: false }), for comparison',
      fn: quiet && (() => quiet.execute(() => call()).catch(ignore)),
      reason: bulwark.reason,
    },
    {
      id: 'resilient-tenant',
      label: 'bulwark resilient() inside withTenant',
      fn: policy && (() => withTenant(TENANT, () => policy.execute(() => call())).catch(ignore)),
      reason: bulwark.reason,
    },
  ];
}

await scenario(
  {
    id: 'policy-otel',
    title: 'Policy overhead (SDK registered)',
    description:
      'The same calls with an OTel SDK registered (AsyncLocalStorage context manager, tracer and meter providers; spans discarded at end, metrics aggregated and never exported). The hand-wired baseline is an active span around the cockatiel wrap that records the error; `resilient()` creates no span of its own but records its metrics and span events.',
  },
  async () => {
    registerSdk();
    const bulwark = await requireExports('', ['resilient', 'withTenant']);
    const success = await compareTime({
      id: 'policy-otel-success',
      title: 'Success path, SDK registered',
      cases: cases(bulwark, work.succeed),
    });
    const failure = await compareTime({
      id: 'policy-otel-failure',
      title: 'Failing path (final 402 error), SDK registered',
      cases: cases(bulwark, work.fail),
    });
    return { groups: [success, failure] };
  },
);
