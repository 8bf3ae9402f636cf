/**
 * What the demo reads from the service itself: resilience events (breaker
 * transitions, retries) from `GET /metrics`, the error budget from `GET /slo`.
 */

const EVENTS = /^bulwark_resilience_events_total\{([^}]*)\} (\S+)$/;
const TRANSITIONS = /** @type {const} */ ({
  circuit_opened: 'open',
  circuit_half_opened: 'half-open',
  circuit_closed: 'closed',
});

/**
 * Totals of `bulwark.resilience.events` per `event.name`, from `GET /metrics`.
 * @param {string} baseUrl
 * @returns {Promise<Map<string, number>>}
 */
export async function readResilienceEvents(baseUrl) {
  const totals = new Map();
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    const match = EVENTS.exec(line);
    const name = match && /(?:^|,)event_name="([^"]+)"/.exec(match[1] ?? '')?.[1];
    if (match && name) totals.set(name, (totals.get(name) ?? 0) + Number(match[2]));
  }
  return totals;
}

/**
 * Polls the service's metrics and notes each breaker transition with the time
 * it was first seen (to within `everyMs`). A service restarted on the same URL
 * is followed: its counters start again from zero.
 * @param {string} baseUrl
 * @param {() => number} elapsedMs
 * @param {number} [everyMs]
 */
export function watchBreaker(baseUrl, elapsedMs, everyMs = 100) {
  /** @type {{ name: string, atMs: number }[]} */
  const transitions = [];
  /** @type {Map<string, number>} */
  let seen = new Map();
  let polling = Promise.resolve();
  const timer = setInterval(() => {
    polling = polling.then(poll, () => undefined);
  }, everyMs);

  async function poll() {
    const totals = await readResilienceEvents(baseUrl).catch(() => seen);
    // A total that went down: the service restarted, and its counters with it.
    if ([...seen].some(([event, n]) => (totals.get(event) ?? 0) < n)) seen = new Map();
    const atMs = elapsedMs();
    /** @type {{ name: string, atMs: number }[]} */
    const fresh = [];
    for (const [event, name] of Object.entries(TRANSITIONS)) {
      const added = (totals.get(event) ?? 0) - (seen.get(event) ?? 0);
      for (let i = 0; i < added; i += 1) fresh.push({ name, atMs });
    }
    // Several transitions inside one poll: put them in the order a breaker takes.
    const order = ['half-open', 'closed', 'open'];
    fresh.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    transitions.push(...fresh);
    seen = totals;
  }

  return {
    transitions,
    /** Stops polling after one last look. */
    async stop() {
      clearInterval(timer);
      await polling;
      await poll();
    },
  };
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
