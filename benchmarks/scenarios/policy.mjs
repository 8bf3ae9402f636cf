/**
 * Scenario 1a: policy overhead with no OTel SDK registered, on the success
 * path and on a failing path (a final 402 error that no layer retries or
 * counts). Baseline: the bare async call.
 */
import { compareTime, scenario } from '../harness.mjs';
import { requireExports } from '../load.mjs';
import { cockatielWrap, ignore, opossumBreaker, work } from '../policies.mjs';

function cases(bulwark, call) {
  const cockatiel = cockatielWrap();
  const tuned = cockatielWrap({ tuned: true });
  const opossum = opossumBreaker(call);
  const policy = bulwark.ok && bulwark.exports.resilient('bench');
  return [
    { id: 'bare', label: 'bare async call', fn: () => call().catch(ignore) },
    {
      id: 'cockatiel',
      label: 'cockatiel wrap(bulkhead, retry, breaker, timeout)',
      fn: () => cockatiel.execute(() => call()).catch(ignore),
    },
    {
      id: 'cockatiel-tuned',
      label: 'cockatiel wrap, timeout with abortOnReturn: false',
      fn: () => tuned.execute(() => call()).catch(ignore),
    },
    { id: 'opossum', label: 'opossum fire() with timeout', fn: () => opossum.fire().catch(ignore) },
    {
      id: 'resilient',
      label: 'bulwark resilient() defaults',
      fn: policy && (() => policy.execute(() => call()).catch(ignore)),
      reason: bulwark.reason,
    },
  ];
}

await scenario(
  {
    id: 'policy',
    title: 'Policy overhead (no SDK)',
    description:
      "The wrapped call is an async function that resolves, or rejects with a final 402 error that no layer retries or counts. No OTel SDK is registered. cockatiel is wrapped in bulwark's order (bulkhead, retry, breaker, cooperative timeout of 1 s); opossum gets a 1 s timeout and an error filter for 4xx.",
  },
  async () => {
    const bulwark = await requireExports('', ['resilient']);
    const success = await compareTime({
      id: 'policy-success',
      title: 'Success path, no SDK',
      cases: cases(bulwark, work.succeed),
    });
    const failure = await compareTime({
      id: 'policy-failure',
      title: 'Failing path (final 402 error), no SDK',
      cases: cases(bulwark, work.fail),
    });
    return { groups: [success, failure] };
  },
);
