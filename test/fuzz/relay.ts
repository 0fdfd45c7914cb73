// The relay's reading of what a VNC server or console proxy sends: the RFB greeting, checked as bytes arrive in any
// split, and the text of a proxy's close frame that the relay passes on to the page. Serial bytes are relayed as
// they come, with no framing to read (electron/relay/session.ts), so there is nothing of theirs to fuzz here.
import fc from 'fast-check';
import { checkGreeting, GREETING_LENGTH } from '../../electron/relay/rfb.ts';
import { closeReason, printable } from '../../electron/relay/failure.ts';
import { holds, type FuzzTarget } from './harness.ts';
import { anyText, chunked, mutatedBytes } from './mutate.ts';

const GREETINGS = ['RFB 003.003\n', 'RFB 003.007\n', 'RFB 003.008\n', 'RFB 005.000\n', 'RFB 003.889\n'].map((g) => Buffer.from(g, 'latin1'));
const RFB = /^RFB \d{3}\.\d{3}\n/;

export const rfbGreeting: FuzzTarget<{ bytes: Buffer; cuts: number[] }> = {
  name: 'rfb-greeting',
  arbitrary: fc.record({
    bytes: fc.oneof(
      mutatedBytes(fc.tuple(fc.constantFrom(...GREETINGS), fc.uint8Array({ maxLength: 20 })).map(([g, rest]) => Buffer.concat([g, rest])), 3),
      fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
    ),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  }),
  check({ bytes, cuts }) {
    const text = bytes.toString('latin1');
    const verdict = checkGreeting(bytes);
    const expected = RFB.test(text) ? 'match' : bytes.length < GREETING_LENGTH && prefixOfSome(text) ? 'partial' : 'mismatch';
    holds(verdict === expected, `"${printable(text, 24)}" is a ${expected}, not a ${verdict}`);
    // As the relay sees it: bytes accumulate chunk by chunk; a verdict other than partial is final and agrees.
    let seen = Buffer.alloc(0);
    for (const chunk of chunked(bytes, cuts)) {
      seen = Buffer.concat([seen, chunk]);
      const v = checkGreeting(seen);
      if (v !== 'partial') {
        holds(v === verdict, 'the verdict does not depend on how the bytes arrived');
        return;
      }
    }
    holds(verdict === 'partial', 'a greeting decided whole is decided in pieces');
  },
};

/** Whether `text` can still become `RFB ddd.ddd\n`. */
function prefixOfSome(text: string): boolean {
  const pattern = 'RFB ddd.ddd\n';
  return [...text].every((c, i) => (pattern[i] === 'd' ? /\d/.test(c) : c === pattern[i]));
}

export const closeFrameReason: FuzzTarget<string> = {
  name: 'relay-close-reason',
  arbitrary: fc.oneof(anyText(200), fc.string({ minLength: 100, maxLength: 400, unit: 'binary' }), fc.string({ minLength: 30, maxLength: 80, unit: 'grapheme' }).map((s) => s.repeat(4))),
  check(text) {
    // A close frame has room for 123 bytes of reason: more makes the WebSocket library throw.
    const r = closeReason(text);
    holds(Buffer.byteLength(r) <= 123, 'a close reason fits a close frame');
    if (Buffer.byteLength(text) <= 123) holds(r === text, 'a short reason is kept');
    const p = printable(text, 60);
    holds(p.length <= 60 && /^[\x20-\x7e…]*$/.test(p), 'printable text is printable and bounded');
  },
};

export const targets = [rfbGreeting, closeFrameReason];
