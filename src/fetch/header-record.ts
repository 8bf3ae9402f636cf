/**
 * A call's request headers as a plain record (lower-case name to value)
 * rather than a `Headers`. `fetch` builds its own `Headers` from whatever it
 * is given, so a `Headers` made here was built, read and written through its
 * checked methods only to be copied again; a record is read and written
 * directly and copied once, by `fetch` (the POST case of
 * `benchmarks/scenarios/http-client.mjs`).
 *
 * The record holds what a `Headers` made from the same input would hold:
 * names lower-cased, values trimmed of leading and trailing HTTP whitespace,
 * a name given twice joined into one value (`; ` for `cookie`, `, ` for any
 * other), and an invalid name or value rejected with a `TypeError` when the
 * record is made, as `new Headers` would, never deferred to an attempt.
 * It has no prototype, so a header named `__proto__` is a header like any other.
 */

import { isHeaderName } from '../header-name.js';

/** Lower-case header name to value; see the module comment. */
export type HeaderRecord = Record<string, string>;

/** What a header value may not hold (after trimming): NUL, CR, LF, or a code point above 0xFF. */
const FORBIDDEN_IN_VALUE = /[\0\r\n]|[^\0-\xff]/;
/** Leading and trailing HTTP whitespace, which `Headers` strips from a value. */
const OUTER_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** A new record without headers. */
export function emptyHeaders(): HeaderRecord {
  return Object.create(null) as HeaderRecord;
}

/** A copy of `headers` that can be changed without changing `headers`. */
export function copyHeaders(headers: HeaderRecord | undefined): HeaderRecord {
  return Object.assign(emptyHeaders(), headers);
}

/**
 * The record of `given`, in any of the forms `fetch` takes: anything
 * iterable as name/value pairs (a `Headers` of any implementation, an array
 * of pairs, a `Map`), else a plain object's own properties. Throws a
 * `TypeError` for an invalid name or value, as `new Headers(given)` would.
 */
export function toHeaderRecord(given: HeadersInit): HeaderRecord {
  const record = emptyHeaders();
  // Decided by the iterator, as `fetch` decides: a Headers from another package (npm undici,
  // node-fetch) is no instance of the global one, and has no properties of its own to read.
  if (typeof (given as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    for (const pair of given as Iterable<readonly string[]>) {
      if (pair.length !== 2) throw new TypeError('Headers: a header pair must have two items');
      appendHeader(record, String(pair[0]), String(pair[1]));
    }
    return record;
  }
  for (const name of Object.keys(given)) {
    appendHeader(record, name, String((given as Record<string, unknown>)[name]));
  }
  return record;
}

/**
 * Sets header `name` (lower-case, already a valid name: one of bulwark's or
 * a validated option) to `value`, replacing any value it had; throws a
 * `TypeError` for a value a `Headers` would refuse (a generated key, say).
 */
export function setHeader(record: HeaderRecord, name: string, value: string): void {
  // String() as `Headers.set` converts: a JavaScript caller's generateKey may return a number.
  record[name] = checkedValue(name, String(value));
}

/** Adds `value` under `name` (any case), as `Headers.append` does. */
function appendHeader(record: HeaderRecord, name: string, value: string): void {
  if (!isHeaderName(name)) {
    throw new TypeError(`Headers: ${JSON.stringify(name)} is an invalid header name`);
  }
  const key = name.toLowerCase();
  const checked = checkedValue(key, value);
  const existing = record[key];
  record[key] =
    existing === undefined ? checked : `${existing}${key === 'cookie' ? '; ' : ', '}${checked}`;
}

/** `value` trimmed as `Headers` trims it; throws a `TypeError` when `Headers` would refuse it. */
function checkedValue(name: string, value: string): string {
  // Nearly every value has nothing to trim: it is then not run through a regular expression.
  const trimmed =
    isHttpWhitespace(value.charCodeAt(0)) || isHttpWhitespace(value.charCodeAt(value.length - 1))
      ? value.replace(OUTER_WHITESPACE, '')
      : value;
  if (FORBIDDEN_IN_VALUE.test(trimmed)) {
    throw new TypeError(`Headers: the value of ${JSON.stringify(name)} is invalid`);
  }
  return trimmed;
}

/** Tab, LF, CR or space: the whitespace `Headers` trims from a value. */
function isHttpWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
