/**
 * The one RFB fact the relay checks: a VNC server speaks first, with its ProtocolVersion (RFC 6143 §7.1.1), twelve
 * bytes `RFB xxx.yyy\n` (003.003, 003.007 and 003.008 in the RFC; RealVNC sends 005.000, Apple 003.889).
 */

export const GREETING_LENGTH = 12;

const PATTERN = 'RFB ddd.ddd\n';

/** `match` once twelve bytes form a ProtocolVersion, `partial` while the bytes so far can still start one, else `mismatch`. */
export function checkGreeting(bytes: Uint8Array): 'match' | 'partial' | 'mismatch' {
  const n = Math.min(bytes.length, GREETING_LENGTH);
  for (let i = 0; i < n; i++) {
    const want = PATTERN[i];
    const b = bytes[i];
    const ok = want === 'd' ? b >= 0x30 && b <= 0x39 : b === want.charCodeAt(0);
    if (!ok) return 'mismatch';
  }
  return n === GREETING_LENGTH ? 'match' : 'partial';
}
