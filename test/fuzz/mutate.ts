// Generators shared by the parser families: mutated valid encodings (random bytes rarely pass a decoder's first
// check; a valid message with a few bytes flipped, inserted or cut reaches its inner branches), mutated text, and
// JSON-like values whose keys include the ones the readers look for and the ones that trip JavaScript objects.
import fc from 'fast-check';

/** Byte values that are boundaries of lengths and tags. */
const EDGE_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xfe, 0xff];

type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number }
  | { op: 'duplicate'; at: number; count: number }
  | { op: 'truncate'; at: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...EDGE_BYTES), fc.nat({ max: 255 })) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyByteEdit(b: Buffer, e: ByteEdit): Buffer {
  const n = b.length;
  const at = n === 0 ? 0 : e.at % (e.op === 'insert' ? n + 1 : n);
  switch (e.op) {
    case 'flip':
      if (n === 0) return b;
      b[at] ^= 1 << e.bit;
      return b;
    case 'set':
      if (n === 0) return b;
      b[at] = e.value;
      return b;
    case 'insert':
      return Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + e.count)]);
    case 'duplicate':
      return Buffer.concat([b.subarray(0, at + e.count), b.subarray(at)]);
    case 'truncate':
      return b.subarray(0, at);
  }
}

/** A valid encoding (from `valid`) with up to `maxEdits` byte edits. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>, maxEdits = 6): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(byteEdit, { maxLength: maxEdits })).map(([v, edits]) => {
    let b: Buffer = Buffer.from(v);
    for (const e of edits) b = applyByteEdit(b, e);
    return b;
  });
}

/** Random bytes, some starting with one of `leads` (a protocol's first byte, so a decoder looks further). */
export function randomBytes(leads: number[] = [], maxLength = 256): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.option(fc.constantFrom(...(leads.length ? leads : [0])), { nil: undefined }), fc.uint8Array({ maxLength }))
    .map(([lead, rest]) => (lead === undefined || leads.length === 0 ? Buffer.from(rest) : Buffer.concat([Buffer.from([lead]), rest])));
}

type TextEdit =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; count: number }
  | { op: 'replace'; at: number; text: string }
  | { op: 'duplicate'; at: number; count: number };

/** Text edits insert pieces from `dictionary` (the syntax a parser cares about) or arbitrary characters. */
function textEdit(dictionary: readonly string[]): fc.Arbitrary<TextEdit> {
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...dictionary) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'binary' }) },
  );
  return fc.oneof(
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: piece }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
    fc.record({ op: fc.constant('replace' as const), at: fc.nat(), text: piece }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
  );
}

function applyTextEdit(s: string, e: TextEdit): string {
  const at = e.at % (s.length + 1);
  switch (e.op) {
    case 'insert':
      return s.slice(0, at) + e.text + s.slice(at);
    case 'delete':
      return s.slice(0, at) + s.slice(at + e.count);
    case 'replace':
      return s.slice(0, at) + e.text + s.slice(at + e.text.length);
    case 'duplicate':
      return s.slice(0, at + e.count) + s.slice(at);
  }
}

/** Valid text (from `valid`) with up to `maxEdits` edits drawn from `dictionary` and arbitrary characters. */
export function mutatedText(valid: fc.Arbitrary<string>, dictionary: readonly string[], maxEdits = 5): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.array(textEdit(dictionary), { maxLength: maxEdits })).map(([v, edits]) => edits.reduce(applyTextEdit, v));
}

/** Any text: code points of every plane, lone surrogates and control characters included. */
export const anyText = (maxLength = 200): fc.Arbitrary<string> =>
  fc.oneof(fc.string({ maxLength, unit: 'binary' }), fc.string({ maxLength, unit: 'grapheme' }), fc.string({ maxLength }));

/** Keys that change how a JavaScript object behaves when code reads or converts it. */
export const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'toJSON', 'hasOwnProperty', 'length', 'then'];

/**
 * JSON values whose object keys come from `fields` (what the reader looks for), DANGEROUS_KEYS, or anywhere; leaves
 * are any JSON scalars, numbers that look like versions and ports, and strings from `strings`.
 */
export function jsonish(fields: readonly string[], strings: readonly string[] = [], depth = 4): fc.Arbitrary<unknown> {
  const key = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...fields) },
    { weight: 1, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, 1, -1, 2, 6, 80, 443, 3389, 65535, 65536, 2 ** 31, 2 ** 53),
    anyText(40),
    ...(strings.length ? [fc.constantFrom(...strings)] : []),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: depth, withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }),
    ),
  }));
  return value;
}

/** A JSON object at the top level (what a body reader receives after JSON.parse). */
export function jsonObject(fields: readonly string[], strings: readonly string[] = [], depth = 4): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) }), jsonish(fields, strings, depth), {
    maxKeys: 6,
    noNullPrototype: true,
  });
}

/** Splits `bytes` into chunks at the given cut points (for streaming framers). */
export function chunked(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(from, p)));
    from = p;
  }
  out.push(Buffer.from(bytes.subarray(from)));
  return out;
}
