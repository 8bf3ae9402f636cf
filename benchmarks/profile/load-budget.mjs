/**
 * The arithmetic of `load-cost.mjs`, apart so it can be checked without a
 * server: the amplification of added JavaScript under load, and the
 * JavaScript a throughput target leaves.
 */

/**
 * Extra CPU per µs of JavaScript added: the least-squares slope through the
 * origin of `points` (`{ addedUs, extraCpuUs }`), since adding nothing costs
 * nothing. NaN without a point that added something.
 */
export function amplification(points) {
  let products = 0;
  let squares = 0;
  for (const { addedUs, extraCpuUs } of points) {
    products += addedUs * extraCpuUs;
    squares += addedUs * addedUs;
  }
  return squares === 0 ? Number.NaN : products / squares;
}

/**
 * The JavaScript µs per request a stack may add to the span baseline (CPU
 * `spanCpuUs` per request) and still serve `ratioToSpan` of its req/s, when
 * the server's CPU is the bottleneck (req/s is then 1 / CPU per request) and
 * each µs of JavaScript costs `slope` µs of CPU under the load. Negative
 * when the target asks for more req/s than the span itself serves (a ratio
 * over 1): no stack on top of the span can meet it.
 */
export function javascriptBudget(ratioToSpan, spanCpuUs, slope) {
  if (!(ratioToSpan > 0)) throw new RangeError(`a positive ratio to the span, not ${ratioToSpan}`);
  return ((1 / ratioToSpan - 1) * spanCpuUs) / slope;
}
