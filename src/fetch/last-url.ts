/**
 * The parsed URL of the last address a `createFetch()` function was called
 * with, so a call to the same address as the one before (a client posting
 * payment after payment to one endpoint) reuses that parse and its origin
 * instead of parsing the string again. Parsing the URL was the largest single
 * cost of bulwark's own code per call (`benchmarks/scenarios/http-client.mjs`),
 * and the same origin string also lets the per-origin breaker find its entry
 * by identity. Safe to share: nothing changes a request's URL after parsing
 * (a redirect makes a new one).
 */
export class LastUrl {
  private href: string | undefined;
  private parsed: URL | undefined;
  private parsedOrigin = '';

  /** `href` parsed, as `new URL(href)` would (and throwing as it does). */
  url(href: string): URL {
    if (href !== this.href || this.parsed === undefined) {
      const parsed = new URL(href);
      this.parsed = parsed;
      this.parsedOrigin = parsed.origin;
      this.href = href;
    }
    return this.parsed;
  }

  /** The origin of the URL {@link url} returned last. */
  get origin(): string {
    return this.parsedOrigin;
  }
}
