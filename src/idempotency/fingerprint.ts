import { type HashField, hashFields } from './key.js';

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
 * Numbers compare by value (`1` and `1.0` are equal once parsed) and strings
 * by code points after JSON unescaping (`"\u00e9"` equals `"é"`), with no
 * Unicode normalisation (NFC and NFD spellings differ).
 */
export function requestFingerprint(input: FingerprintInput): string {
  const fields: HashField[] = [
    FINGERPRINT_DOMAIN,
    input.method.toUpperCase(),
    input.path,
    canonicalQuery(input.query ?? ''),
    mediaType(input.contentType),
    input.body.kind,
  ];
  if (input.body.kind === 'json') fields.push(canonicalJson(input.body.value));
  if (input.body.kind === 'bytes') fields.push(input.body.bytes);
  return hashFields(fields);
}

/**
 * JSON with object keys sorted and no whitespace. Follows `JSON.stringify`
 * for everything else (`toJSON`, `undefined` members dropped, non-finite
 * numbers as `null`). Throws a `RangeError` past 256 levels of nesting.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0) ?? 'null';
}

// Hand-rolled rather than JSON.stringify per value and map/join per level:
// this runs on every idempotent request and was the costliest step of the
// fingerprint. The output is the same, byte for byte.
function encode(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) throw new RangeError(`canonicalJson: nested deeper than ${MAX_DEPTH}`);
  const plain = toPlain(value);
  if (typeof plain === 'string') return quote(plain);
  if (typeof plain === 'number') return Number.isFinite(plain) ? String(plain) : 'null';
  if (typeof plain === 'boolean') return plain ? 'true' : 'false';
  if (plain === null) return 'null';
  if (typeof plain !== 'object') return JSON.stringify(plain); // undefined, or what toJSON returned
  if (Array.isArray(plain)) {
    let out = '[';
    for (let i = 0; i < plain.length; i++) {
      if (i > 0) out += ',';
      // A hole stays empty, as Array.prototype.map + join left it.
      if (i in plain) out += encode(plain[i], depth + 1) ?? 'null';
    }
    return `${out}]`;
  }
  let out = '';
  for (const name of Object.keys(plain).sort()) {
    const encoded = encode((plain as Record<string, unknown>)[name], depth + 1);
    if (encoded !== undefined) out += `${out === '' ? '' : ','}${quote(name)}:${encoded}`;
  }
  return `{${out}}`;
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
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}
