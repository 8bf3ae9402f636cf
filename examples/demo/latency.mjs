/**
 * Latency per tenant, two ways: each HTTP request as the client timed it
 * (fast 409s and 503s included), and each transfer from its first send to
 * its first 201 (the wait a user feels, retries included).
 */

/**
 * @param {import('./client.mjs').Exchange[]} exchanges
 * @returns {string[]}
 */
export function latencyLines(exchanges) {
  /** @typedef {{ jurisdiction: string, requests: number[], transfers: Map<string, { start: number, done?: number }> }} TenantTimes */
  /** @type {Map<string, TenantTimes>} */
  const tenants = new Map();
  for (const e of exchanges) {
    if (e.phase === 'bad input') continue;
    /** @type {TenantTimes} */
    const tenant = tenants.get(e.tenantId) ?? {
      jurisdiction: e.jurisdiction ?? '',
      requests: [],
      transfers: new Map(),
    };
    tenant.requests.push(e.ms);
    const transfer = tenant.transfers.get(e.key) ?? { start: e.atMs };
    if (e.status === 201 && transfer.done === undefined) transfer.done = e.atMs + e.ms;
    tenant.transfers.set(e.key, transfer);
    tenants.set(e.tenantId, tenant);
  }
  const header = `  ${'tenant'.padEnd(20)}${'requests p50'.padStart(13)}${'p99'.padStart(10)}${'transfers p50'.padStart(16)}${'p99'.padStart(10)}`;
  const rows = [...tenants]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tenantId, t]) => {
      const done = [...t.transfers.values()].flatMap((x) =>
        x.done === undefined ? [] : [x.done - x.start],
      );
      const name = `${tenantId} (${t.jurisdiction})`;
      return (
        `  ${name.padEnd(20)}${fmtMs(percentile(t.requests, 50)).padStart(13)}` +
        `${fmtMs(percentile(t.requests, 99)).padStart(10)}` +
        `${fmtMs(percentile(done, 50)).padStart(16)}${fmtMs(percentile(done, 99)).padStart(10)}` +
        `   ${t.requests.length} requests, ${done.length} transfers`
      );
    });
  return [header, ...rows];
}

/**
 * Nearest-rank percentile.
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return /** @type {number} */ (sorted[rank - 1]);
}

/** @param {number} ms */
function fmtMs(ms) {
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
