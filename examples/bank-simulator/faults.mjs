/**
 * The ways this bank misbehaves, switched at run time through `POST /control`.
 * One mode is active at a time; it lasts for the next `count` requests, or for
 * `forMs` milliseconds, or (with neither) until the next change.
 */

/**
 * The modes:
 * - `burst503`: 503 with `Retry-After`, nothing executed;
 * - `outage`: 503 without `Retry-After`, nothing executed;
 * - `reset`: the connection is dropped before the payment is looked at;
 * - `drop`: the payment is processed (executed, or replayed when its key
 *   already executed), then the connection is dropped without an answer: the
 *   money moved and the caller cannot know;
 * - `slow`: the payment is processed, then the answer waits `delayMs` (a
 *   caller that dies meanwhile left money moved and no outcome recorded).
 * @typedef {'healthy' | 'burst503' | 'reset' | 'drop' | 'slow' | 'outage'} FaultMode
 */

/**
 * @typedef {object} FaultSettings
 * @property {FaultMode} mode what to do to the requests
 * @property {number} [count] how many of the next requests are affected
 * @property {number} [forMs] how long the mode lasts, in milliseconds
 * @property {number} [retryAfterS] burst503: the `Retry-After` sent, in seconds (default 1)
 * @property {number} [delayMs] slow: how long before the answer, in milliseconds (default 2000)
 */

/**
 * What to do with one request.
 * @typedef {{ kind: 'none' }
 *   | { kind: 'unavailable', retryAfterS: number | undefined }
 *   | { kind: 'reset' }
 *   | { kind: 'drop' }
 *   | { kind: 'slow', delayMs: number }} FaultDecision
 */

const MODES = ['healthy', 'burst503', 'reset', 'drop', 'slow', 'outage'];
const FIELDS = ['mode', 'count', 'forMs', 'retryAfterS', 'delayMs'];
const NONE = /** @type {const} */ ({ kind: 'none' });

/**
 * Validates a `POST /control` body.
 * @param {unknown} value
 * @returns {{ ok: true, settings: FaultSettings } | { ok: false, error: string }}
 */
export function parseFaultSettings(value) {
  if (typeof value !== 'object' || value === null)
    return { ok: false, error: 'expected an object' };
  const v = /** @type {Record<string, unknown>} */ (value);
  if (typeof v.mode !== 'string' || !MODES.includes(v.mode)) {
    return { ok: false, error: `mode must be one of ${MODES.join(', ')}` };
  }
  for (const field of ['count', 'forMs', 'retryAfterS', 'delayMs']) {
    const n = v[field];
    if (n !== undefined && !(Number.isSafeInteger(n) && /** @type {number} */ (n) >= 0)) {
      return { ok: false, error: `${field} must be a non-negative integer` };
    }
  }
  // An unknown field is a typo (or a setting this bank no longer has): refusing it beats
  // running a fault other than the one the caller meant.
  const unknown = Object.keys(v).find((field) => !FIELDS.includes(field));
  if (unknown !== undefined) {
    return {
      ok: false,
      error: `unknown field ${JSON.stringify(unknown)}; expected ${FIELDS.join(', ')}`,
    };
  }
  return { ok: true, settings: /** @type {FaultSettings} */ (v) };
}

/**
 * Creates the fault switch, healthy at first.
 * @param {() => number} [now] clock in milliseconds, for tests
 */
export function createFaults(now = Date.now) {
  /** @type {FaultSettings} */
  let settings = { mode: 'healthy' };
  let remaining = Number.POSITIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  /** @type {Record<string, number>} */
  const injected = { burst503: 0, reset: 0, drop: 0, slow: 0, outage: 0 };

  function expired() {
    return remaining <= 0 || now() >= until;
  }

  return {
    /** @param {FaultSettings} next */
    set(next) {
      settings = next;
      remaining = next.count ?? Number.POSITIVE_INFINITY;
      until = next.forMs === undefined ? Number.POSITIVE_INFINITY : now() + next.forMs;
    },

    /**
     * Decides the fate of one request and counts it against `count`.
     * @returns {FaultDecision}
     */
    next() {
      if (settings.mode === 'healthy') return NONE;
      if (expired()) {
        settings = { mode: 'healthy' };
        return NONE;
      }
      remaining -= 1;
      injected[settings.mode] = (injected[settings.mode] ?? 0) + 1;
      return decide(settings);
    },

    /** The active mode and how many faults of each kind were injected. */
    describe() {
      const mode = settings.mode !== 'healthy' && expired() ? 'healthy' : settings.mode;
      return { mode, injected: { ...injected } };
    },
  };
}

/**
 * @param {FaultSettings} s
 * @returns {FaultDecision}
 */
function decide(s) {
  switch (s.mode) {
    case 'burst503':
      return { kind: 'unavailable', retryAfterS: s.retryAfterS ?? 1 };
    case 'outage':
      // A load balancer in front of a dead bank: 503 and no hint when to come back.
      return { kind: 'unavailable', retryAfterS: undefined };
    case 'reset':
      return { kind: 'reset' };
    case 'drop':
      return { kind: 'drop' };
    case 'slow':
      return { kind: 'slow', delayMs: s.delayMs ?? 2000 };
    default:
      return NONE;
  }
}
