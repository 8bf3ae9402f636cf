/**
 * The explicit bucket bounds, in seconds, of `http.server.request.duration`:
 * the stable HTTP semantic conventions' advice, which `requestMetrics()` uses.
 * A latency SLI's threshold must be one of them, because the generated
 * Prometheus rules count "good" requests from the cumulative `le` bucket at the
 * threshold; any other threshold could not be computed out of process.
 */
export const HTTP_DURATION_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const;
