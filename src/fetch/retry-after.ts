/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an
 * HTTP date. Returns milliseconds to wait, or `undefined` when the header is
 * absent or unparseable (a garbage value must not turn into "retry now" or
 * "wait forever"). `nowMs` is injectable for tests.
 */
export function parseRetryAfter(
  value: string | null,
  nowMs: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date always names its weekday and month; anything else (such as
  // "-1", which Date.parse reads as a year) is garbage.
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
