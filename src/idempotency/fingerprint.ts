import { type HashField, hashFields } from './hash-fields.js';

/**
 * A request body as the fingerprint sees it:
 * - `none`: no body at all (distinct from an empty one);
 * - `json`: a parsed value (JSON, urlencoded), canonicalised so key order and
 *   whitespace do not matter;
 * - `bytes`: anything else, by its exact bytes (text, octet-stream, multipart:
 *   a multipart body re-sent with a new boundary is a different request).
 */
export type FingerprintBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

/** What {@link requestFingerprint} hashes. */
export interface FingerprintInput {
  /** HTTP method; upper-cased. */
  readonly method: string;
  /** The concrete path (`/transfers/42`), so a key reused on another path is a mismatch. */
  readonly path: string;
  /** The raw query string without `?`; parameters are sorted by name, repeated ones keep their order. */
  readonly query?: string | undefined;
  /** The `Content-Type`; only its lower-cased media type counts (parameters such as `charset` do not). */
  readonly contentType?: string | undefined;
  /** The body. */
  readonly body: FingerprintBody;
}

const FINGERPRINT_DOMAIN = 'bulwark.idempotency.fingerprint.v1';
const MAX_DEPTH = 256;

/**
 * Hex SHA-256 over a canonical form of the request. Two requests have the same
 * fingerprint exactly when a retry of one may replay the other's response.
 * A `json` body is compared as the handler sees it, once parsed: numbers by
 * value (`1` and `1.0` are equal once parsed; so are `1e400` and `2e308`,
 * which both parse to `Infinity`) and strings by code points after JSON
 * unescaping (`"\u00e9"` equals `"é"`), with no Unicode normalisation (NFC
 * and NFD spellings differ). Values the handler can tell apart never share a
 * fingerprint: `Infinity`, `-Infinity`, `NaN` and `null` differ, `-0` differs
 * from `0`, and a `BigInt` differs from the string of its digits (where
 * {@link canonicalJson}, following `JSON.stringify`, writes the first four as
 * `null` and `-0` as `0`).
 */
export function requestFingerprint(input: FingerprintInput): string {
  const { body } = input;
  const method = input.method.toUpperCase();
  const query = canonicalQuery(input.query ?? '');
  const media = mediaType(input.contentType);
  // One array literal per shape, each its final length: a push past a literal's
  // length copies its backing store (the http-server request's JSON body).
  let fields: HashField[];
  if (body.kind === 'json') {
    const text = stringifiedAsIs(body.value) ?? encode(body.value, 0, true) ?? 'null';
    fields = [FINGERPRINT_DOMAIN, method, input.path, query, media, body.kind, text];
  } else if (body.kind === 'bytes') {
    fields = [FINGERPRINT_DOMAIN, method, input.path, query, media, body.kind, body.bytes];
  } else {
    fields = [FINGERPRINT_DOMAIN, method, input.path, query, media, body.kind];
  }
  return hashFields(fields);
}

/**
 * The fingerprint's form of `value` written by `JSON.stringify` itself, when
 * that is the same text: a tree of plain objects (keys already in order) and
 * arrays (no holes) of strings, booleans, `null` and numbers other than `-0`
 * and the non-finite ones, no `toJSON`, at most {@link MAX_DEPTH} levels deep.
 * That is most parsed bodies, and the native call costs a fraction of
 * {@link encode} (the http-server benchmark). Anything else: `undefined`,
 * and `encode` writes it.
 */
function stringifiedAsIs(value: unknown): string | undefined {
  return writesAsIs(value, 0) ? JSON.stringify(value) : undefined;
}

function writesAsIs(value: unknown, depth: number): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object' || depth >= MAX_DEPTH) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Array.prototype) {
    const items = value as readonly unknown[];
    for (let i = 0; i < items.length; i++) {
      if (!(i in items) || !writesAsIs(items[i], depth + 1)) return false;
    }
    return true;
  }
  if (prototype !== Object.prototype && prototype !== null) return false;
  // `for...in`, not `Object.keys`: no array per object (the http-server request's
  // body). It also visits inherited enumerable names, which `JSON.stringify`
  // skips; one of those only ever sends the value to `encode`, never the reverse.
  let previous: string | undefined;
  for (const name in value) {
    if (previous !== undefined && previous > name) return false;
    if (!writesAsIs((value as Record<string, unknown>)[name], depth + 1)) return false;
    previous = name;
  }
  return true;
}

/**
 * JSON with object keys sorted and no whitespace. Follows `JSON.stringify`
 * for everything else (`toJSON`, `undefined` members dropped, non-finite
 * numbers as `null`, `-0` as `0`, a `BigInt` as the string of its digits).
 * Throws a `RangeError` past 256 levels of nesting. Not the fingerprint's
 * form, which keeps those numbers apart (see {@link requestFingerprint}).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0, false) ?? 'null';
}

// Hand-rolled rather than JSON.stringify per value and map/join per level:
// this runs on every idempotent request and was the costliest step of the
// fingerprint. The output is the same, byte for byte. `exact` (the fingerprint's
// form) writes numbers so that no two values share a spelling: JSON.stringify's
// `null` for ±Infinity and NaN, and `0` for -0, let different requests replay
// each other. Finite numbers other than -0 read the same either way, so the
// fingerprints of ordinary bodies did not change.
function encode(value: unknown, depth: number, exact: boolean): string | undefined {
  if (depth > MAX_DEPTH) throw new RangeError(`canonicalJson: nested deeper than ${MAX_DEPTH}`);
  if (exact && typeof value === 'bigint') return `${value}n`;
  const plain = toPlain(value);
  if (typeof plain === 'string') return quote(plain);
  if (typeof plain === 'number') return exact ? exactNumber(plain) : jsonNumber(plain);
  if (typeof plain === 'boolean') return plain ? 'true' : 'false';
  if (plain === null) return 'null';
  if (typeof plain !== 'object') return JSON.stringify(plain); // undefined, or what toJSON returned
  if (Array.isArray(plain)) {
    let out = '[';
    for (let i = 0; i < plain.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as Array.prototype.map + join left it.
      if (i in plain) out += encode(plain[i], depth + 1, exact) ?? 'null';
    }
    return `${out}]`;
  }
  let out = '';
  const names = Object.keys(plain);
  // Bodies usually arrive with their keys in order already; sort() copies the array even then.
  if (!inOrder(names)) names.sort();
  for (const name of names) {
    const encoded = encode((plain as Record<string, unknown>)[name], depth + 1, exact);
    if (encoded !== undefined) out += `${out === '' ? '' : ','}${quote(name)}:${encoded}`;
  }
  return `{${out}}`;
}

/** Whether `names` is already in `sort()`'s order (by UTF-16 code units, as `<` compares). */
function inOrder(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) {
    if ((names[i - 1] as string) > (names[i] as string)) return false;
  }
  return true;
}

/** As JSON.stringify: non-finite numbers as `null`, -0 as `0`. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Every number its own spelling: `-0`, `Infinity`, `-Infinity`, `NaN` (String() writes -0 as `0`). */
function exactNumber(n: number): string {
  return n === 0 && Object.is(n, -0) ? '-0' : String(n);
}

/** Characters JSON.stringify escapes (and lone surrogates, which it escapes when unpaired). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what must be escaped.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  const withToJson = value as { toJSON?: () => unknown } | null;
  if (withToJson !== null && typeof withToJson?.toJSON === 'function') return withToJson.toJSON();
  return value;
}

function canonicalQuery(query: string): string {
  if (query === '') return ''; // most requests: skip two URLSearchParams
  const params = [...new URLSearchParams(query)];
  params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new URLSearchParams(params).toString();
}

function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const end = contentType.indexOf(';');
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
}
