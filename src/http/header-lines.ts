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
    if (field.length !== wanted.length || field.toLowerCase() !== wanted) continue;
    if (lines === undefined) lines = [];
    lines.push(raw[i + 1] as string);
  }
  return lines;
}
