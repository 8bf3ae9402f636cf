/**
 * A minimal decoder of OTLP/protobuf trace requests, enough to read span names,
 * kinds, scopes and string/int/bool attributes, so that tests can check what the
 * default encoding really carries. Field numbers from opentelemetry-proto
 * (`collector/trace/v1`, `trace/v1`, `common/v1`, `resource/v1`).
 */

type Field = { field: number; value: bigint | Buffer };

/** Splits one message into its fields; unknown wire types end the message (corrupt input). */
function fieldsOf(message: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = message[offset++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < message.length) {
    const tag = Number(varint());
    const wireType = tag & 7;
    const field = tag >>> 3;
    if (wireType === 0) fields.push({ field, value: varint() });
    else if (wireType === 2) {
      const length = Number(varint());
      fields.push({ field, value: message.subarray(offset, offset + length) });
      offset += length;
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else break;
  }
  return fields;
}

const bytes = (fields: Field[], field: number) =>
  fields.filter((f) => f.field === field).map((f) => f.value as Buffer);
const text = (fields: Field[], field: number) => bytes(fields, field)[0]?.toString('utf8');

function anyValue(message: Buffer): unknown {
  const [first] = fieldsOf(message);
  if (first === undefined) return undefined;
  if (first.field === 1) return (first.value as Buffer).toString('utf8');
  if (first.field === 2) return first.value === 1n;
  if (first.field === 3) return Number(first.value);
  return '(unsupported)';
}

function attributes(keyValues: Buffer[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const keyValue of keyValues) {
    const fields = fieldsOf(keyValue);
    const key = text(fields, 1) ?? '';
    const value = bytes(fields, 2)[0];
    result[key] = value === undefined ? undefined : anyValue(value);
  }
  return result;
}

/** The spans of one `ExportTraceServiceRequest`, shaped like the JSON decoder's. */
export function decodeProtobufSpans(body: Buffer) {
  const spans = [];
  for (const resourceSpans of bytes(fieldsOf(body), 1)) {
    const rs = fieldsOf(resourceSpans);
    const resourceMessage = bytes(rs, 1)[0];
    const resource = resourceMessage ? attributes(bytes(fieldsOf(resourceMessage), 1)) : {};
    for (const scopeSpans of bytes(rs, 2)) {
      const ss = fieldsOf(scopeSpans);
      const scopeMessage = bytes(ss, 1)[0];
      const scope = scopeMessage ? text(fieldsOf(scopeMessage), 1) : undefined;
      for (const span of bytes(ss, 2)) {
        const fields = fieldsOf(span);
        const kind = fields.find((f) => f.field === 6)?.value;
        spans.push({
          name: text(fields, 5) ?? '',
          kind: kind === undefined ? 0 : Number(kind),
          scope: scope ?? '',
          attributes: attributes(bytes(fields, 9)),
          resource,
        });
      }
    }
  }
  return spans;
}
