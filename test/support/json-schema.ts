/**
 * A small JSON Schema (2020-12) checker for the keywords the repository's
 * schemas use: type (with "integer" and "null"), const, enum, properties,
 * required, additionalProperties: false, items, minItems, maxItems,
 * minimum, maximum, anyOf and local $ref (#/$defs/...). It throws on any
 * other keyword, so a schema can never pass by using one it ignores.
 * Returns every violation as `path: message`; an empty list means valid.
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  'title',
  'description',
  'format',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  '$ref',
]);

export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  check(root, root, value, '$', errors);
  return errors;
}

function check(root: Schema, schema: Schema, value: unknown, path: string, errors: string[]): void {
  for (const keyword of Object.keys(schema)) {
    if (!KNOWN.has(keyword)) throw new Error(`unsupported keyword ${keyword} at ${path}`);
  }
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/\$defs\//, '');
    const target = (root.$defs as Record<string, Schema> | undefined)?.[name];
    if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref}`);
    check(root, target, value, path, errors);
  }
  if (schema.anyOf !== undefined) {
    const ok = (schema.anyOf as Schema[]).some((option) => {
      const sub: string[] = [];
      check(root, option, value, path, sub);
      return sub.length === 0;
    });
    if (!ok)
      errors.push(`${path}: matches no anyOf option (${JSON.stringify(value)?.slice(0, 80)})`);
  }
  if ('const' in schema && value !== schema.const) errors.push(`${path}: must be ${schema.const}`);
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => isType(value, type as string))) {
      errors.push(
        `${path}: expected ${types.join('|')}, got ${JSON.stringify(value)?.slice(0, 80)}`,
      );
      return;
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) {
      errors.push(`${path}: ${value} < minimum ${schema.minimum}`);
    }
    if (typeof schema.maximum === 'number' && value > schema.maximum) {
      errors.push(`${path}: ${value} > maximum ${schema.maximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      errors.push(`${path}: fewer than ${schema.minItems} items`);
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      errors.push(`${path}: more than ${schema.maxItems} items`);
    }
    if (schema.items !== undefined) {
      for (const [i, item] of value.entries()) {
        check(root, schema.items as Schema, item, `${path}[${i}]`, errors);
      }
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? []) {
      if (!(name in record)) errors.push(`${path}: missing ${name}`);
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [name, item] of Object.entries(record)) {
      if (properties[name] !== undefined)
        check(root, properties[name], item, `${path}.${name}`, errors);
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected ${name}`);
    }
  }
}

function isType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeof value === type;
  }
}
