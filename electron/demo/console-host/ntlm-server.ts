import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { md4 } from './md4.ts';
import { Rc4 } from './rc4.ts';

// The acceptor side of NTLMv2 with extended session security (MS-NLMP), as CredSSP uses it: challenge, verify
// the client's NTLMv2 response against one configured account, then seal and unseal messages.

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

const NEGOTIATE_UNICODE = 0x00000001;
const REQUEST_TARGET = 0x00000004;
const NEGOTIATE_SIGN = 0x00000010;
const NEGOTIATE_SEAL = 0x00000020;
const NEGOTIATE_NTLM = 0x00000200;
const NEGOTIATE_ALWAYS_SIGN = 0x00008000;
const TARGET_TYPE_SERVER = 0x00020000;
const EXTENDED_SESSIONSECURITY = 0x00080000;
const NEGOTIATE_TARGET_INFO = 0x00800000;
const NEGOTIATE_VERSION = 0x02000000;
const NEGOTIATE_128 = 0x20000000;
const NEGOTIATE_KEY_EXCH = 0x40000000;
const NEGOTIATE_56 = 0x80000000;

const ACCEPTED_FLAGS =
  NEGOTIATE_UNICODE |
  REQUEST_TARGET |
  NEGOTIATE_SIGN |
  NEGOTIATE_SEAL |
  NEGOTIATE_NTLM |
  NEGOTIATE_ALWAYS_SIGN |
  EXTENDED_SESSIONSECURITY |
  NEGOTIATE_VERSION |
  NEGOTIATE_128 |
  NEGOTIATE_KEY_EXCH |
  NEGOTIATE_56;

/** The client proved the wrong password or user name. */
export class LogonFailure extends Error {
  override name = 'LogonFailure';
}

function hmacMd5(key: Buffer, ...data: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return h.digest();
}

function md5(...data: Buffer[]): Buffer {
  const h = createHash('md5');
  for (const d of data) h.update(d);
  return h.digest();
}

function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

function field(msg: Buffer, offset: number, what: string): Buffer {
  if (msg.length < offset + 8) throw new ProtocolError(`truncated NTLM ${what} field`);
  const len = msg.readUInt16LE(offset);
  const at = msg.readUInt32LE(offset + 4);
  if (at + len > msg.length) throw new ProtocolError(`NTLM ${what} points outside the message`);
  return msg.subarray(at, at + len);
}

function avPair(id: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
}

function filetimeNow(): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Date.now()) + 11644473600000n) * 10000n);
  return b;
}

export interface NtlmAccount {
  username: string;
  password: string;
}

export class NtlmServer {
  private flags = 0;
  private challenge = randomBytes(8);
  private clientSeal: Rc4 | null = null;
  private serverSeal: Rc4 | null = null;
  private clientSignKey: Buffer = Buffer.alloc(0);
  private serverSignKey: Buffer = Buffer.alloc(0);
  private clientSeq = 0;
  private negotiateMsg: Buffer = Buffer.alloc(0);
  private challengeMsg: Buffer = Buffer.alloc(0);
  private serverSeq = 0;
  /** The user name the client authenticated as (after a successful authenticate()). */
  user = '';

  constructor(
    private readonly account: NtlmAccount,
    private readonly computerName = 'CONSOLEHOST',
    private readonly domainName = 'DEMO',
  ) {}

  /** NEGOTIATE_MESSAGE in, CHALLENGE_MESSAGE out. */
  challengeFor(negotiate: Buffer): Buffer {
    if (negotiate.length < 16 || !negotiate.subarray(0, 8).equals(SIGNATURE) || negotiate.readUInt32LE(8) !== 1) {
      throw new ProtocolError('expected an NTLM negotiate message');
    }
    this.negotiateMsg = Buffer.from(negotiate);
    const clientFlags = negotiate.readUInt32LE(12);
    this.flags = ((clientFlags & ACCEPTED_FLAGS) | NEGOTIATE_TARGET_INFO | TARGET_TYPE_SERVER | NEGOTIATE_UNICODE) >>> 0;
    const targetName = utf16(this.domainName);
    const targetInfo = Buffer.concat([
      avPair(2, utf16(this.domainName)),
      avPair(1, utf16(this.computerName)),
      avPair(4, utf16(this.domainName.toLowerCase())),
      avPair(3, utf16(this.computerName.toLowerCase())),
      avPair(7, filetimeNow()),
      avPair(0, Buffer.alloc(0)),
    ]);
    const header = Buffer.alloc(56);
    SIGNATURE.copy(header, 0);
    header.writeUInt32LE(2, 8);
    header.writeUInt16LE(targetName.length, 12);
    header.writeUInt16LE(targetName.length, 14);
    header.writeUInt32LE(56, 16);
    header.writeUInt32LE(this.flags, 20);
    this.challenge.copy(header, 24);
    header.writeUInt16LE(targetInfo.length, 40);
    header.writeUInt16LE(targetInfo.length, 42);
    header.writeUInt32LE(56 + targetName.length, 44);
    // Version: 6.1 build 7601, NTLM revision 15.
    Buffer.from([6, 1, 0xb1, 0x1d, 0, 0, 0, 0x0f]).copy(header, 48);
    this.challengeMsg = Buffer.concat([header, targetName, targetInfo]);
    return this.challengeMsg;
  }

  /** AUTHENTICATE_MESSAGE: verifies the NTLMv2 proof; throws LogonFailure for a wrong account or password. */
  authenticate(msg: Buffer): void {
    if (msg.length < 64 || !msg.subarray(0, 8).equals(SIGNATURE) || msg.readUInt32LE(8) !== 3) {
      throw new ProtocolError('expected an NTLM authenticate message');
    }
    const nt = field(msg, 20, 'NT response');
    const domain = field(msg, 28, 'domain').toString('utf16le');
    const user = field(msg, 36, 'user name').toString('utf16le');
    const encryptedKey = field(msg, 52, 'session key');
    const flags = msg.readUInt32LE(60);
    if (nt.length < 16 + 28) throw new LogonFailure('the client did not send an NTLMv2 response');
    const bareUser = user.includes('\\') ? user.slice(user.indexOf('\\') + 1) : user;
    if (bareUser.toLowerCase() !== this.account.username.toLowerCase()) throw new LogonFailure('unknown user');
    const ntowf = hmacMd5(md4(utf16(this.account.password)), utf16(user.toUpperCase() + domain));
    const proof = hmacMd5(ntowf, this.challenge, nt.subarray(16));
    if (!timingSafeEqual(proof, nt.subarray(0, 16))) throw new LogonFailure('wrong password');
    const sessionBaseKey = hmacMd5(ntowf, proof);
    const exported =
      flags & NEGOTIATE_KEY_EXCH && encryptedKey.length === 16 ? new Rc4(sessionBaseKey).update(encryptedKey) : sessionBaseKey;
    this.checkMic(msg, nt.subarray(16), exported);
    const magic = (s: string) => Buffer.from(`session key to ${s} key magic constant\0`, 'latin1');
    const sealKeyLen = flags & NEGOTIATE_128 ? 16 : flags & NEGOTIATE_56 ? 7 : 5;
    const sealBase = exported.subarray(0, sealKeyLen);
    this.clientSignKey = md5(exported, magic('client-to-server signing'));
    this.serverSignKey = md5(exported, magic('server-to-client signing'));
    this.clientSeal = new Rc4(md5(sealBase, magic('client-to-server sealing')));
    this.serverSeal = new Rc4(md5(sealBase, magic('server-to-client sealing')));
    this.flags = flags;
    this.user = bareUser;
  }

  /**
   * When the client says its AUTHENTICATE message carries a MIC (MsvAvFlags bit 0x2 in its NTLMv2 blob), the MIC
   * must be the HMAC of all three messages under the session key: it protects the negotiation from tampering.
   */
  private checkMic(msg: Buffer, blob: Buffer, exportedKey: Buffer): void {
    // The blob: 28 bytes of header and timestamps, then AV pairs.
    let p = 28;
    let flags = 0;
    while (p + 4 <= blob.length) {
      const id = blob.readUInt16LE(p);
      const len = blob.readUInt16LE(p + 2);
      if (id === 0) break;
      if (id === 6 && len === 4 && p + 8 <= blob.length) flags = blob.readUInt32LE(p + 4);
      p += 4 + len;
    }
    if (!(flags & 0x2)) return;
    if (msg.length < 88) throw new ProtocolError('NTLM authenticate message too short for its MIC');
    const mic = Buffer.from(msg.subarray(72, 88));
    const zeroed = Buffer.from(msg);
    zeroed.fill(0, 72, 88);
    const expected = hmacMd5(exportedKey, this.negotiateMsg, this.challengeMsg, zeroed);
    if (!timingSafeEqual(mic, expected)) throw new ProtocolError('NTLM message integrity check failed');
  }

  /** Decrypts a client message (16-byte signature, then sealed data) and checks its signature. */
  unseal(token: Buffer): Buffer {
    if (!this.clientSeal) throw new ProtocolError('NTLM message before authentication');
    if (token.length < 16) throw new ProtocolError('sealed NTLM message too short');
    const sig = token.subarray(0, 16);
    const data = this.clientSeal.update(token.subarray(16));
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.clientSeq++);
    let checksum = hmacMd5(this.clientSignKey, seq, data).subarray(0, 8);
    if (this.flags & NEGOTIATE_KEY_EXCH) checksum = this.clientSeal.update(checksum);
    if (!checksum.equals(sig.subarray(4, 12)) || !seq.equals(sig.subarray(12, 16))) {
      throw new ProtocolError('NTLM message signature does not verify');
    }
    return data;
  }

  /** Seals a server message: signature first, then the encrypted data (SSPI EncryptMessage layout). */
  seal(data: Buffer): Buffer {
    if (!this.serverSeal) throw new ProtocolError('NTLM message before authentication');
    const encrypted = this.serverSeal.update(data);
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(this.serverSeq++);
    let checksum = hmacMd5(this.serverSignKey, seq, data).subarray(0, 8);
    if (this.flags & NEGOTIATE_KEY_EXCH) checksum = this.serverSeal.update(checksum);
    return Buffer.concat([Buffer.from([1, 0, 0, 0]), checksum, seq, encrypted]);
  }
}
