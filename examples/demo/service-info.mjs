/**
 * What the demo reads from the service itself: breaker transitions from its
 * log lines, the error budget from `GET /slo`, retries from `GET /metrics`.
 */

/**
 * A breaker transition, if `line` is the service's log line for one.
 * @param {string} line
 * @returns {{ name: 'open' | 'half-open' | 'closed', detail: string } | undefined}
 */
export function readBreakerTransition(line) {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line);
    const names = {
      circuit_opened: 'open',
      circuit_half_opened: 'half-open',
      circuit_closed: 'closed',
    };
    const name = names[/** @type {keyof typeof names} */ (entry.event)];
    return name ? { name, detail: String(entry.breaker ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line per SLO, from `GET /slo`; empty when the service has none.
 * @param {string} baseUrl
 * @returns {Promise<string[]>}
 */
export async function readBudget(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/slo`);
    if (!response.ok) return [];
    const { slos } = await response.json();
    return slos.map((/** @type {{ summary: string }} */ s) => s.summary);
  } catch {
    return [];
  }
}

/**
 * Retries bulwark/fetch made towards the bank, summed from `GET /metrics`.
 * @param {string} baseUrl
 * @returns {Promise<number | undefined>}
 */
export async function readServiceRetries(baseUrl) {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    let total;
    for (const line of text.split('\n')) {
      const match = /^bulwark_retr\w*_total(?:\{[^}]*\})? ([0-9.e+]+)$/.exec(line);
      if (match) total = (total ?? 0) + Number(match[1]);
    }
    return total;
  } catch {
    return undefined;
  }
}
