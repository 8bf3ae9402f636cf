/**
 * The bad-input phase: requests the service must refuse with 4xx before
 * anything reaches the bank. The bank's hit counter, read before and after,
 * proves nothing got through.
 */

/** Sends each bad request once and records its status and the bank's hits around them. */
export async function badInput(
  /** @type {import('./workload.mjs').WorkloadDeps} */ { client, bank, setPhase },
  /** @type {import('./workload.mjs').Expectations} */ expect,
  /** @type {string} */ key,
) {
  setPhase('bad input');
  expect.badInput.hitsBefore = bank.stats().hits;
  const base = { phase: 'bad input', tenantId: 'initech', key };
  const good = { amount: 500, currency: 'GBP', from: 'a', to: 'b' };
  const bodies = [
    { ...good, amount: -5 },
    { ...good, amount: 2 ** 60 },
    { ...good, amount: '500' },
    { ...good, currency: 'XXX' },
    { ...good, from: '' },
    '{"amount": 5',
    { ...good, note: 'x'.repeat(70_000) },
  ];
  for (const transfer of bodies) {
    expect.badInput.statuses.push((await client.send({ ...base, transfer })).status);
  }
  for (const request of [
    { ...base, tenantId: '', transfer: good },
    { ...base, key: '', transfer: good },
    { ...base, tenantId: 'bad tenant!', transfer: good },
  ]) {
    expect.badInput.statuses.push((await client.send(request)).status);
  }
  expect.badInput.hitsAfter = bank.stats().hits;
}
