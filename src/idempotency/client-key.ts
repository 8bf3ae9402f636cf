/** Longest client key accepted: the IETF draft and Stripe both cap keys at 255 characters. */
export const MAX_CLIENT_KEY_LENGTH = 255;

/** Why a client key was refused (named `reason`: a `problem` is the problem+json answer). */
export type ClientKeyRefusal = 'missing' | 'multiple' | 'malformed';

/** The result of {@link parseClientKey}. */
export type ParsedClientKey =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly reason: ClientKeyRefusal; readonly detail: string };

/**
 * Printable ASCII from `!` to `~` but `"`, `,` and `\`: no space, no control
 * character, nothing beyond ASCII. One pattern, made once: a literal inside
 * the function is a new RegExp on every request.
 */
const KEY_CHARACTERS = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;

/**
 * Validates an `Idempotency-Key` as received: `values` holds one entry per
 * header line. Two lines are refused (their join would be ambiguous). A value
 * in the draft's structured-field string form (`"abc"`) means the same key as
 * the bare token `abc`; quotes inside, backslashes, commas, spaces, control and
 * non-ASCII characters are refused, as are keys outside `minLength`..255.
 */
export function parseClientKey(
  values: readonly string[] | undefined,
  minLength = 1,
): ParsedClientKey {
  if (values === undefined || values.length === 0) {
    return { ok: false, reason: 'missing', detail: 'the request has no idempotency key' };
  }
  if (values.length > 1) {
    return { ok: false, reason: 'multiple', detail: 'the idempotency key header appears twice' };
  }
  const raw = values[0] ?? '';
  const key = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (key.length < minLength || key.length > MAX_CLIENT_KEY_LENGTH) {
    return malformed(`the key must be ${minLength} to ${MAX_CLIENT_KEY_LENGTH} characters long`);
  }
  if (!KEY_CHARACTERS.test(key)) {
    return malformed(
      'the key must be printable ASCII without spaces, commas, quotes or backslashes',
    );
  }
  return { ok: true, key };
}

function malformed(detail: string): ParsedClientKey {
  return { ok: false, reason: 'malformed', detail };
}
