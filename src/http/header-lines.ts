import type { IncomingMessage } from 'node:http';

/**
 * One entry per header line of `name` (Node joins repeated lines in
 * `req.headers`), as `req.headersDistinct[name]` gives them. Read from
 * `rawHeaders` because the `headersDistinct` getter builds arrays for every
 * header of the request, on each request, to answer for one or two names.
 */
export function headerLines(req: IncomingMessage, name: string): string[] | undefined {
  const wanted = name.toLowerCase();
  const raw = req.rawHeaders;
  let lines: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const field = raw[i] as string;
    if (!sameName(field, wanted)) continue;
    if (lines === undefined) lines = [];
    lines.push(raw[i + 1] as string);
  }
  return lines;
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
