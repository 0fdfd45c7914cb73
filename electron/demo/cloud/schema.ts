// Request-body validation that answers with the wording Nova's JSON-schema layer produces
// ("Invalid input for field/attribute <name>. Value: <value>. <reason>"), for the few bodies the demo cloud accepts.
// Only the keywords those bodies use are supported: type (object, string, integer, null), properties, required,
// additionalProperties: false, enum, pattern (strings only) and minimum (numbers only), as jsonschema applies them.

type JsonType = 'object' | 'string' | 'integer' | 'null';

export interface Schema {
  type?: JsonType | JsonType[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  enum?: string[];
  pattern?: string;
  minimum?: number;
}

/** Python's repr(), which is how jsonschema quotes values inside its messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return typeof value === 'bigint' || typeof value === 'symbol' ? value.toString() : '<function>';
}

/** Python's str(): strings bare, everything else as repr. Nova formats "Value: %s" this way. */
function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

function jsonType(value: unknown): JsonType | 'other' {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  if (typeof value === 'object' && !Array.isArray(value)) return 'object';
  return 'other';
}

interface Failure {
  path: string[];
  instance: unknown;
  message: string;
}

// Errors nearer the root win, as jsonschema's best_match prefers them.
function check(schema: Schema, value: unknown, path: string[]): Failure | undefined {
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!allowed.includes(jsonType(value) as never)) {
      // jsonschema lists several types as their reprs joined by commas.
      const expected = allowed.map(pyRepr).join(', ');
      return { path, instance: value, message: `${pyRepr(value)} is not of type ${expected}` };
    }
  }
  if (schema.pattern !== undefined && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) {
    return { path, instance: value, message: `${pyRepr(value)} does not match ${pyRepr(schema.pattern)}` };
  }
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) {
    return { path, instance: value, message: `${pyRepr(value)} is less than the minimum of ${schema.minimum}` };
  }
  if (schema.enum !== undefined && !schema.enum.includes(value as string)) {
    return { path, instance: value, message: `${pyRepr(value)} is not one of ${pyRepr(schema.enum)}` };
  }
  if (jsonType(value) !== 'object') return undefined;
  const object = value as Record<string, unknown>;
  for (const name of schema.required ?? []) {
    if (!(name in object)) return { path, instance: value, message: `${pyRepr(name)} is a required property` };
  }
  if (schema.additionalProperties === false) {
    const extra = Object.keys(object).filter((k) => !(schema.properties && k in schema.properties));
    if (extra.length > 0) {
      const list = extra.map(pyRepr).join(', ');
      return {
        path,
        instance: value,
        message: `Additional properties are not allowed (${list} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
      };
    }
  }
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    if (name in object) {
      const failure = check(sub, object[name], [...path, name]);
      if (failure) return failure;
    }
  }
  return undefined;
}

/** Returns Nova's 400 message for the first problem, or undefined when the body is valid. */
export function validationMessage(schema: Schema, body: unknown): string | undefined {
  const failure = check(schema, body, []);
  if (!failure) return undefined;
  if (failure.path.length === 0) return failure.message;
  const field = failure.path[failure.path.length - 1];
  return `Invalid input for field/attribute ${field}. Value: ${pyStr(failure.instance)}. ${failure.message}`;
}
