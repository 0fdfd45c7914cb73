// What the RDP gateway reads from the page's WASM client and from RDP servers: the RDCleanPath DER request (whole and
// split over WebSocket messages), the pre-connection PDU it builds from a blob the user or an .rdp file gave, and
// the X.224 Connection Request and Confirm.
import fc from 'fast-check';
import { captured } from '../support/captures.ts';
import {
  decodeRdCleanPath,
  derMessageLength,
  encodeRdCleanPath,
  MAX_REQUEST_BYTES,
  RdCleanPathFormatError,
  RdCleanPathFramer,
  type RdCleanPathPdu,
} from '../../electron/rdp/rdcleanpath.ts';
import { encodePreconnectionPdu, MAX_PCB_CHARS, PCB_VERSION_2, PreconnectionBlobError } from '../../electron/rdp/preconnection.ts';
import { buildConfirm, parseConfirm, requestedProtocols, tpktLength, withRequestedProtocols, X224Error } from '../../electron/rdp/x224.ts';
import { expectTyped, holds, type FuzzTarget } from './harness.ts';
import { anyText, chunked, mutatedBytes, randomBytes } from './mutate.ts';

const isFormatError = (err: unknown) => err instanceof RdCleanPathFormatError;

/**
 * Integers the ASN.1 INTEGER fields carry: small, negative, and around the byte and sign boundaries. The decoder
 * takes integers of up to three bytes (its "small integer"; the protocol's codes and statuses need two at most).
 */
const asnInt = fc.oneof(fc.integer({ min: -(2 ** 23), max: 2 ** 23 - 1 }), fc.constantFrom(0, 127, 128, 255, 256, -1, -128, -129, 3390, 2 ** 23 - 1, -(2 ** 23)));
const derText = fc.string({ maxLength: 60, unit: 'grapheme' });

const pduArb: fc.Arbitrary<RdCleanPathPdu> = fc.record(
  {
    version: fc.oneof(fc.constant(3390), asnInt),
    error: fc.record({ errorCode: asnInt, httpStatus: asnInt, wsaLastError: asnInt, tlsAlert: asnInt }, { requiredKeys: ['errorCode'] }),
    destination: derText,
    proxyAuth: derText,
    serverAuth: derText,
    preconnectionBlob: derText,
    x224ConnectionPdu: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    serverCertChain: fc.array(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), { maxLength: 3 }),
    serverAddr: derText,
  },
  { requiredKeys: ['version'] },
);

const CAPTURED_DER = [captured('ironrdp-0.7.0-rdcleanpath-request.der'), captured('rdcleanpath-response-example.der')];
const derArb = fc.oneof(
  { weight: 3, arbitrary: mutatedBytes(fc.oneof(fc.constantFrom(...CAPTURED_DER), pduArb.map(encodeRdCleanPath))) },
  { weight: 1, arbitrary: randomBytes([0x30], 64) },
  { weight: 1, arbitrary: pduArb.map((p) => ({ pdu: p })) },
);

type DerInput = Buffer | { pdu: RdCleanPathPdu };

export const rdcleanpath: FuzzTarget<DerInput> = {
  name: 'rdcleanpath',
  arbitrary: derArb,
  check(input) {
    if (!Buffer.isBuffer(input)) {
      // Round trip: what the encoder writes, the decoder reads back field for field.
      const back = decodeRdCleanPath(encodeRdCleanPath(input.pdu));
      holds(JSON.stringify(normalise(back)) === JSON.stringify(normalise(input.pdu)), 'decode(encode(pdu)) is the pdu');
      return;
    }
    const r = expectTyped(() => decodeRdCleanPath(input), isFormatError);
    if ('error' in r) return;
    const p = r.value;
    holds(Number.isSafeInteger(p.version), 'the version is an integer');
    // A decoded PDU encodes again, and that encoding decodes to the same PDU (DER has one encoding per value).
    const again = decodeRdCleanPath(encodeRdCleanPath(p));
    holds(JSON.stringify(normalise(again)) === JSON.stringify(normalise(p)), 'a decoded PDU re-encodes to itself');
  },
};

/** Field order fixed and bytes as hex, so two PDUs compare as text; an empty certificate chain is no chain. */
function normalise(p: RdCleanPathPdu): unknown {
  const hex = (b?: Uint8Array) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));
  return [p.version, p.error && [p.error.errorCode, p.error.httpStatus, p.error.wsaLastError, p.error.tlsAlert], p.destination, p.proxyAuth, p.serverAuth, p.preconnectionBlob, hex(p.x224ConnectionPdu), p.serverCertChain?.length ? p.serverCertChain.map(hex) : undefined, p.serverAddr];
}

export const rdcleanpathFramer: FuzzTarget<{ bytes: Buffer; cuts: number[]; max: number }> = {
  name: 'rdcleanpath-framer',
  arbitrary: fc.record({
    bytes: fc.oneof(
      derArb.filter((x): x is Buffer => Buffer.isBuffer(x)),
      fc.tuple(pduArb.map(encodeRdCleanPath), fc.uint8Array({ maxLength: 40 })).map(([p, rest]) => Buffer.concat([p, rest])),
    ),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    max: fc.constantFrom(MAX_REQUEST_BYTES, 64, 200),
  }),
  check({ bytes, cuts, max }) {
    const whole = expectTyped(() => derMessageLength(bytes, max), isFormatError);
    const framer = new RdCleanPathFramer(max);
    let pushed = Buffer.alloc(0);
    for (const chunk of chunked(bytes, cuts)) {
      pushed = Buffer.concat([pushed, chunk]);
      const r = expectTyped(() => framer.push(chunk), isFormatError);
      if ('error' in r) {
        holds('error' in whole, 'the framer refuses only what the whole message shows wrong');
        return;
      }
      if (r.value === undefined) continue;
      const { pdu, rest } = r.value;
      holds('value' in whole && whole.value === pdu.length, 'the PDU has the length its header announces');
      holds(Buffer.concat([pdu, rest]).equals(pushed), 'PDU and rest are exactly the bytes pushed');
      return;
    }
    holds(!('value' in whole) || whole.value === undefined || whole.value > bytes.length, 'a whole PDU is returned once its bytes are in');
  },
};

export const preconnection: FuzzTarget<{ blob: string; id: number }> = {
  name: 'preconnection',
  arbitrary: fc.record({
    blob: fc.oneof(
      anyText(80),
      fc.uuid(),
      fc.string({ minLength: MAX_PCB_CHARS - 2, maxLength: MAX_PCB_CHARS + 2, unit: 'binary' }),
      fc.tuple(fc.uuid(), fc.constantFrom('\u0000', '\ud800', '\udfff', '\ufeff')).map(([u, c]) => u + c),
    ),
    id: fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 32, 2 ** 53, NaN, Infinity, 1.5)),
  }),
  check({ blob, id }) {
    const r = expectTyped(() => encodePreconnectionPdu(blob, id), (err) => err instanceof PreconnectionBlobError);
    if ('error' in r) {
      holds(blob.length === 0 || blob.length > MAX_PCB_CHARS || blob.includes('\u0000'), 'only an empty, long or NUL-carrying blob is refused');
      return;
    }
    const b = r.value;
    holds(b.readUInt32LE(0) === b.length, 'cbSize is the PDU length');
    holds(b.readUInt32LE(4) === 0 && b.readUInt32LE(8) === PCB_VERSION_2, 'flags 0, version 2');
    holds(b.readUInt32LE(12) === id >>> 0, 'the id is written as u32');
    holds(18 + 2 * b.readUInt16LE(16) === b.length, 'cchPCB counts the UTF-16 units sent');
    holds(b.subarray(18).toString('utf16le') === blob + '\u0000\u0000', 'the blob and two NULs follow');
  },
};

/** A Connection Request as clients send it: an optional cookie or routing token, an optional negotiation request. */
const connectionRequest = fc
  .record({
    cookie: fc.constantFrom('', 'Cookie: mstshash=user\r\n', 'Cookie: msts=3640205228.15629.0000\r\n', 'no-crlf-cookie'),
    neg: fc.boolean(),
    flags: fc.nat({ max: 255 }),
    protocols: fc.oneof(fc.nat({ max: 15 }), fc.constant(0xffffffff)),
  })
  .map(({ cookie, neg, flags, protocols }) => {
    const negBytes = Buffer.alloc(neg ? 8 : 0);
    if (neg) {
      negBytes[0] = 0x01;
      negBytes[1] = flags;
      negBytes.writeUInt16LE(8, 2);
      negBytes.writeUInt32LE(protocols, 4);
    }
    const body = Buffer.concat([Buffer.from([0xe0, 0, 0, 0, 0, 0]), Buffer.from(cookie, 'latin1'), negBytes]);
    const head = Buffer.from([0x03, 0, 0, 0, body.length]);
    head.writeUInt16BE(5 + body.length, 2);
    return Buffer.concat([head, body]);
  });
const confirmArb = fc.oneof(
  fc.nat().map((protocol) => buildConfirm({ protocol })),
  fc.nat().map((failureCode) => buildConfirm({ failureCode })),
  fc.constant(Buffer.from([0x03, 0, 0, 11, 6, 0xd0, 0, 0, 0, 0, 0])),
);
const x224Bytes = fc.oneof(
  { weight: 4, arbitrary: mutatedBytes(fc.oneof(connectionRequest, confirmArb)) },
  { weight: 1, arbitrary: randomBytes([0x03], 40) },
);

type X224Input = { bytes: Buffer; protocols: number } | { built: { protocol: number } | { failureCode: number } };

export const x224: FuzzTarget<X224Input> = {
  name: 'x224',
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: fc.record({ bytes: x224Bytes, protocols: fc.oneof(fc.nat({ max: 15 }), fc.integer(), fc.constant(2 ** 32 + 3)) }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer().map((protocol) => ({ protocol })), fc.integer().map((failureCode) => ({ failureCode }))).map((built) => ({ built })) },
  ),
  check(input) {
    if ('built' in input) {
      // Round trip: what buildConfirm writes, parseConfirm reads.
      const c = parseConfirm(buildConfirm(input.built));
      const want = 'protocol' in input.built ? { kind: 'selected', flags: 0, protocol: input.built.protocol >>> 0 } : { kind: 'failure', failureCode: input.built.failureCode >>> 0 };
      holds(JSON.stringify(c) === JSON.stringify(want), 'parseConfirm(buildConfirm(x)) is x');
      return;
    }
    const { bytes, protocols } = input;
    const typed = (err: unknown) => err instanceof X224Error;
    const len = expectTyped(() => tpktLength(bytes), typed);
    if ('value' in len && len.value !== undefined) holds(Number.isInteger(len.value) && len.value >= 7 && len.value <= 0xffff, 'a TPKT length is 7–65535');
    const req = expectTyped(() => requestedProtocols(bytes), typed);
    if ('value' in req) holds(Number.isInteger(req.value) && req.value >= 0 && req.value <= 0xffffffff, 'requested protocols are a u32');
    const rewritten = expectTyped(() => withRequestedProtocols(bytes, protocols), typed);
    if ('value' in rewritten) {
      holds(rewritten.value.length === bytes.length, 'a rewrite keeps the length');
      holds(requestedProtocols(rewritten.value) === protocols >>> 0, 'the rewritten request asks for the new protocols');
    }
    const conf = expectTyped(() => parseConfirm(bytes), typed);
    if ('value' in conf) holds(['selected', 'failure', 'legacy'].includes(conf.value.kind), 'a confirm is selected, failure or legacy');
  },
};

export const targets = [rdcleanpath, rdcleanpathFramer, preconnection, x224];

