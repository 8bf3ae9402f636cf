/**
 * An HTTP field name is an RFC 9110 token. One definition for the three places
 * that check one (bulwark's header options on both sides, and the caller's
 * request headers in `createFetch()`), so they cannot drift apart.
 */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True when `value` is a string that may be used as an HTTP header name. */
export function isHeaderName(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}
