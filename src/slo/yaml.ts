/** A value {@link toYaml} can write: plain data, no cycles. */
export type YamlValue =
  | string
  | number
  | boolean
  | null
  | readonly YamlValue[]
  | { readonly [key: string]: YamlValue | undefined };

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|y|n)$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it detects
const NEEDS_ESCAPES = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Writes plain data as block-style YAML. Deliberately small, to keep bulwark
 * free of a YAML dependency: every string is quoted (single quotes, or JSON
 * double quotes when it holds control characters, which YAML reads the same
 * way), so no value can turn into a number, a boolean or a comment. Keys of
 * `undefined` values are left out.
 */
export function toYaml(value: YamlValue): string {
  return `${lines(value, 0).join('\n')}\n`;
}

function lines(value: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item: YamlValue) => {
      const [first = '', ...rest] = lines(item, indent + 2);
      return [`${pad}- ${first.slice(indent + 2)}`, ...rest];
    });
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([key, item]) => entry(key, item as YamlValue, indent));
  }
  return [`${pad}${scalar(value as string | number | boolean | null)}`];
}

function entry(key: string, value: YamlValue, indent: number): string[] {
  const head = `${' '.repeat(indent)}${quoteKey(key)}:`;
  const nested = typeof value === 'object' && value !== null;
  const empty = nested && Object.keys(value).length === 0;
  if (!nested || empty) return [`${head} ${lines(value, 0)[0]}`];
  return [head, ...lines(value, indent + 2)];
}

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`toYaml: cannot write ${value}`);
    return String(value);
  }
  return quote(value);
}

function quote(text: string): string {
  if (NEEDS_ESCAPES.test(text)) {
    // JSON escapes C0 controls; YAML also forbids raw C1 controls and line separators.
    return JSON.stringify(text).replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => {
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    });
  }
  return `'${text.replaceAll("'", "''")}'`;
}

function quoteKey(key: string): string {
  return PLAIN_KEY.test(key) && !RESERVED.test(key) ? key : quote(key);
}
