/**
 * Scenario 2b: the tenant span processor's cost per span, against a plain SDK
 * span, with an SDK registered and a tenant active (the processor stamps
 * `tenant.*` attributes at span start). Also `withTenant` + `getTenant` once
 * an SDK's context manager is registered.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';
import { registerSdk, tracerProvider } from '../otel-sdk.mjs';

const TENANT = { tenantId: 'acme-payments', jurisdiction: 'DE', transactionType: 'payout' };

async function spanGroup(bulwark, otel) {
  const plain = tracerProvider().getTracer('bench');
  const stamped =
    otel.ok && tracerProvider([new otel.exports.TenantSpanProcessor()]).getTracer('bench');
  const measureInTenant = () =>
    compareTime({
      id: 'tenant-spans',
      title: 'Start and end one span, tenant active, SDK registered',
      cases: [
        {
          id: 'plain',
          label: 'plain SDK span',
          fn: () => plain.startSpan('op').end(),
        },
        {
          id: 'tenant-processor',
          label: 'bulwark tenant span processor + the same SDK span',
          fn: stamped && (() => stamped.startSpan('op').end()),
          reason: otel.reason,
        },
      ],
    });
  if (!bulwark.ok) return { ...(await measureInTenant()), notes: `no tenant: ${bulwark.reason}` };
  return bulwark.exports.withTenant(TENANT, measureInTenant);
}

function contextGroup(bulwark) {
  const storage = new AsyncLocalStorage();
  const frozen = Object.freeze({ ...TENANT });
  return compareTime({
    id: 'tenant-context-sdk',
    title: 'withTenant + getTenant with an SDK context manager registered (sync)',
    cases: [
      {
        id: 'als',
        label: 'hand-rolled AsyncLocalStorage.run + getStore',
        fn: () => storage.run(frozen, () => storage.getStore()),
      },
      {
        id: 'bulwark',
        label: 'bulwark withTenant + getTenant',
        fn: bulwark.ok && (() => bulwark.exports.withTenant(TENANT, bulwark.exports.getTenant)),
        reason: bulwark.reason,
      },
    ],
  });
}

await scenario(
  {
    id: 'tenant-spans',
    title: 'Tenant span processor (SDK registered)',
    description:
      "Starting and ending one span with a tenant active and an SDK registered; the candidate tracer provider has bulwark's `TenantSpanProcessor` before the same discarding processor.",
  },
  async () => {
    registerSdk();
    const bulwark = await requireExports('', ['withTenant', 'getTenant']);
    const otel = await requireExports('otel', ['TenantSpanProcessor']);
    return { groups: [await spanGroup(bulwark, otel), await contextGroup(bulwark)] };
  },
);
