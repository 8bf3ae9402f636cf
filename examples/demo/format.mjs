/** How the demo's report writes a moment of the run. */

/**
 * Time since the demo started, such as `+4.36s`.
 * @param {number} ms
 */
export function fmtSeconds(ms) {
  return `+${(ms / 1000).toFixed(2)}s`;
}
