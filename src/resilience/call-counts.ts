/**
 * How many calls a pipeline has run and how many of them failed, since it
 * was created. Plain counters, bumped once per call and never reset: the
 * status page samples them now and then and charts the differences, so no
 * clock is read and nothing is allocated per call.
 */
export class CallCounts {
  /** Calls started (`execute`), whatever became of them. */
  calls = 0;
  /** Calls that rejected: the last attempt's error, a fast-fail, a deadline or an abort. */
  failures = 0;
}
