import type { IncomingMessage } from 'node:http';

/**
 * One entry per header line of `name` (Node joins repeated lines in
 * `req.headers`), as `req.headersDistinct[name]` gives them. Read from
 * `rawHeaders` because the `headersDistinct` getter builds arrays for every
 * header of the request, on each request, to answer for one or two names.
 */
export function headerLines(req: IncomingMessage, name: string): string[] | undefined {
  const wanted = lowerCaseName(name);
  const raw = req.rawHeaders;
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i] as string;
    if (!sameName(field, wanted)) continue;
    // A literal of one: `[]` then push would reserve room for 16 more, for a header that comes once.
    if (lines === undefined) lines = [raw[i + 1] as string];
    else lines.push(raw[i + 1] as string);
  }
  return lines;
}

/** What {@link soleHeaderLine} answers for a header sent on more than one line. */
export const REPEATED_HEADER: unique symbol = Symbol('bulwark.repeated-header');

/**
 * The value of header `name` when it came on exactly one line, `undefined`
 * when it is absent, {@link REPEATED_HEADER} when it came on more: for headers
 * that must come once, without the array {@link headerLines} makes (the tenant
 * headers, on every request of the http-server benchmark).
 */
export function soleHeaderLine(
  req: IncomingMessage,
  name: string,
): string | typeof REPEATED_HEADER | undefined {
  const wanted = lowerCaseName(name);
  const raw = req.rawHeaders;
  let value: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!sameName(raw[i] as string, wanted)) continue;
    if (value !== undefined) return REPEATED_HEADER;
    value = raw[i + 1] as string;
  }
  return value;
}

/** Names asked for, lower-cased once each: they come from options, so there are few. */
const lowerCaseNames = new Map<string, string>();

/**
 * `name.toLowerCase()`, remembered: the default `Idempotency-Key` would be
 * lower-cased into a new string on every request (the http-server benchmarks).
 */
function lowerCaseName(name: string): string {
  let lower = lowerCaseNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    // Bounded all the same, should a caller pass names from requests.
    if (lowerCaseNames.size < 64) lowerCaseNames.set(name, lower);
  }
  return lower;
}

/**
 * Whether header name `field` is `lowerName` in any case, compared in place:
 * `field.toLowerCase()` made a string per header of the same length, and this
 * runs for three names per request (the key, the tenant headers; the
 * http-server benchmarks). Header names are ASCII tokens (Node's parser
 * refuses anything else), so folding A-Z is the whole of it.
 */
function sameName(field: string, lowerName: string): boolean {
  if (field.length !== lowerName.length) return false;
  if (field === lowerName) return true;
  for (let i = 0; i < field.length; i++) {
    const code = field.charCodeAt(i);
    const lower = code >= 65 && code <= 90 ? code + 32 : code;
    if (lower !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}
