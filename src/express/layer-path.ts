/*
 * The path template a router layer was mounted with (`/tenants/:tenant`), on
 * both Express majors. Express 5 keeps it (`layer.rawPath`). Express 4 keeps
 * only the regular expression path-to-regexp 0.1 compiled from it, so the
 * template is read back from that: the compiled form of a plain template
 * (literal segments, `:name` and `:name?` parameters, `.:ext`) is regular
 * enough to invert exactly. Anything else (a RegExp path, `*`, an inline
 * pattern) gives `undefined`: no template beats a wrong one.
 */

interface Express4Regexp extends RegExp {
  readonly fast_slash?: boolean;
}

/** A router layer as either major builds it; only the fields read here. */
export interface RouterLayer {
  /** Express 5 (router 2.x): the path as given. */
  readonly rawPath?: unknown;
  /** Express 4: the compiled path, and its parameter names in order. */
  readonly regexp?: unknown;
  readonly keys?: unknown;
}

/** What path-to-regexp 0.1 appends to a non-ending (mount) path. */
const MOUNT_SUFFIX = '\\/?(?=\\/|$)';

/** One piece of a compiled template: a slash, a dot, a literal run, or a parameter group. */
const TOKEN =
  /\\\/|\\\.|[A-Za-z0-9_~%-]+|\(\?:\\\/\(\[\^\/\]\+\?\)\)(\?)?|\(\?:\\\.\(\[\^\/\\\.\]\+\?\)\)(\?)?/y;

/** The template `layer` was mounted with, `''` for the root, or `undefined` when unknowable. */
export function layerPath(layer: RouterLayer): string | undefined {
  if (typeof layer.rawPath === 'string') return trimSlash(layer.rawPath);
  if ('rawPath' in layer) return undefined; // Express 5 with an array or RegExp path
  return express4Path(layer.regexp, layer.keys);
}

function express4Path(regexp: unknown, keys: unknown): string | undefined {
  if (!(regexp instanceof RegExp) || !Array.isArray(keys)) return undefined;
  if ((regexp as Express4Regexp).fast_slash === true) return '';
  const { source } = regexp;
  if (!source.startsWith('^') || !source.endsWith(MOUNT_SUFFIX)) return undefined;
  const body = source.slice(1, -MOUNT_SUFFIX.length);
  let template = '';
  let param = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < body.length) {
    const match = TOKEN.exec(body);
    if (match === null) return undefined;
    const [token, slashOptional, dotOptional] = match;
    if (token === '\\/') template += '/';
    else if (token === '\\.') template += '.';
    else if (token.startsWith('(?:')) {
      const name: unknown = (keys[param] as { name?: unknown } | undefined)?.name;
      param += 1;
      if (typeof name !== 'string') return undefined;
      const lead = token.startsWith('(?:\\/') ? '/' : '.';
      template += `${lead}:${name}${slashOptional ?? dotOptional ?? ''}`;
    } else template += token;
  }
  return param === keys.length ? trimSlash(template) : undefined;
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}
