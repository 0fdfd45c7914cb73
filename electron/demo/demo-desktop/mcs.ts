import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';

// T.125 MCS as RDP uses it: the Connect-Initial/Response pair in BER, the domain PDUs in aligned PER, and the
// T.124 GCC conference blocks around RDP's client/server data (MS-RDPBCGR 2.2.1.3 – 2.2.1.4).

export const IO_CHANNEL = 1003;
export const SERVER_CHANNEL = 1002;

export interface ClientChannel {
  name: string;
  options: number;
}

export interface ConnectInitial {
  width: number;
  height: number;
  colorDepth: number;
  clientName: string;
  /** serverSelectedProtocol from the client core data, when present. */
  coreSelectedProtocol: number | null;
  earlyCapabilityFlags: number;
  channels: ClientChannel[];
}

function berLength(r: ByteReader): number {
  const first = r.u8('BER length');
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n < 1 || n > 3) throw new ProtocolError('unsupported BER length form');
  let len = 0;
  for (let i = 0; i < n; i++) len = (len << 8) | r.u8('BER length');
  return len;
}

/** Reads one BER TLV with the expected (single or two-byte) tag; returns its contents. */
function berTake(r: ByteReader, tag: number[], what: string): Buffer {
  for (const t of tag) {
    const got = r.u8(what);
    if (got !== t) throw new ProtocolError(`malformed ${what}: tag 0x${got.toString(16)}`);
  }
  return r.take(berLength(r), what);
}

export function parseConnectInitial(mcs: Buffer): ConnectInitial {
  const outer = new ByteReader(mcs);
  const body = new ByteReader(berTake(outer, [0x7f, 0x65], 'MCS Connect-Initial'));
  berTake(body, [0x04], 'calling domain selector');
  berTake(body, [0x04], 'called domain selector');
  berTake(body, [0x01], 'upward flag');
  berTake(body, [0x30], 'target parameters');
  berTake(body, [0x30], 'minimum parameters');
  berTake(body, [0x30], 'maximum parameters');
  const userData = berTake(body, [0x04], 'MCS user data');
  // GCC Conference Create Request: the client data blocks follow the "Duca" H.221 key and a PER length.
  const duca = userData.indexOf('Duca');
  if (duca < 0) throw new ProtocolError('GCC conference create request without client data');
  const r = new ByteReader(userData.subarray(duca + 4));
  let len = r.u8('GCC length');
  if (len & 0x80) len = ((len & 0x7f) << 8) | r.u8('GCC length');
  const blocks = new ByteReader(r.take(Math.min(len, r.remaining), 'client data'));
  const result: ConnectInitial = {
    width: 1024,
    height: 768,
    colorDepth: 32,
    clientName: '',
    coreSelectedProtocol: null,
    earlyCapabilityFlags: 0,
    channels: [],
  };
  let sawCore = false;
  while (blocks.remaining >= 4) {
    const type = blocks.u16le('client data block type');
    const blen = blocks.u16le('client data block length');
    if (blen < 4) throw new ProtocolError('client data block shorter than its header');
    const b = new ByteReader(blocks.take(blen - 4, 'client data block'));
    if (type === 0xc001) {
      sawCore = true;
      // TS_UD_CS_CORE: fixed offsets; everything after the IME file name is optional and read if present.
      const d = b.buf;
      if (d.length < 128) throw new ProtocolError('client core data too short');
      result.width = d.readUInt16LE(4);
      result.height = d.readUInt16LE(6);
      result.clientName = d.subarray(20, 52).toString('utf16le').replace(/\0.*$/s, '');
      if (d.length >= 138) result.colorDepth = d.readUInt16LE(136) || 16;
      if (d.length >= 142) result.earlyCapabilityFlags = d.readUInt16LE(140);
      if (d.length >= 212) result.coreSelectedProtocol = d.readUInt32LE(208);
    } else if (type === 0xc003) {
      const count = b.u32le('channel count');
      if (count > 31) throw new ProtocolError(`too many static channels (${count})`);
      for (let i = 0; i < count; i++) {
        const name = b.take(8, 'channel name').toString('latin1').replace(/\0.*$/s, '');
        result.channels.push({ name, options: b.u32le('channel options') });
      }
    }
  }
  if (!sawCore) throw new ProtocolError('client core data missing');
  if (result.width < 200 || result.height < 200 || result.width > 8192 || result.height > 8192) {
    throw new ProtocolError(`unsupported desktop size ${result.width}x${result.height}`);
  }
  return result;
}

function berLen(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

function ber(tag: number[], contents: Buffer): Buffer {
  return Buffer.concat([Buffer.from(tag), berLen(contents.length), contents]);
}

function berInt(v: number): Buffer {
  if (v < 0x80) return ber([0x02], Buffer.from([v]));
  if (v < 0x8000) return ber([0x02], Buffer.from([v >> 8, v & 0xff]));
  return ber([0x02], Buffer.from([0, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]));
}

function perLength(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x80 | (n >> 8), n & 0xff]);
}

/** Channel ids handed out: the I/O channel, then one per requested static channel. */
export function channelIds(channels: ClientChannel[]): number[] {
  return channels.map((_, i) => IO_CHANNEL + 1 + i);
}

/** Client core data: the client can go without channel joins if the server agrees (MS-RDPBCGR 2.2.1.3.2). */
export const RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN = 0x0800;
/** Server core data: this server agrees; neither side then sends Channel Join PDUs (2.2.1.4.2, 1.3.1.1). */
export const RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED = 0x0008;

/**
 * The Connect-Response. When the client offered to skip channel joins, the server accepts: each join is a round trip
 * of its own (the user channel, the I/O channel, then one per static channel), so a client with clipboard and dynamic
 * channels saves four of them before the desktop shows.
 */
export function connectResponse(requestedProtocols: number, channels: ClientChannel[], clientEarlyFlags = 0): Buffer {
  const ids = channelIds(channels);
  const serverEarlyFlags = clientEarlyFlags & RNS_UD_CS_SUPPORT_SKIP_CHANNELJOIN ? RNS_UD_SC_SKIP_CHANNELJOIN_SUPPORTED : 0;
  const core = new ByteWriter().u16le(0x0c01).u16le(16).u32le(0x00080004).u32le(requestedProtocols).u32le(serverEarlyFlags);
  const security = new ByteWriter().u16le(0x0c02).u16le(12).u32le(0).u32le(0);
  const padded = ids.length % 2 === 1;
  const net = new ByteWriter()
    .u16le(0x0c03)
    .u16le(8 + ids.length * 2 + (padded ? 2 : 0))
    .u16le(IO_CHANNEL)
    .u16le(ids.length);
  for (const id of ids) net.u16le(id);
  if (padded) net.u16le(0);
  const serverData = Buffer.concat([core.toBuffer(), security.toBuffer(), net.toBuffer()]);
  // ConferenceCreateResponse: node id, tag, result success, one user data set keyed "McDn".
  const ccr = Buffer.concat([
    Buffer.from([0x14, 0x76, 0x0a, 0x01, 0x01, 0x00, 0x01, 0xc0, 0x00]),
    Buffer.from('McDn', 'latin1'),
    perLength(serverData.length),
    serverData,
  ]);
  const gcc = Buffer.concat([Buffer.from([0x00, 0x05, 0x00, 0x14, 0x7c, 0x00, 0x01]), perLength(ccr.length), ccr]);
  const domainParameters = ber(
    [0x30],
    Buffer.concat([34, 3, 0, 1, 0, 1, 65528, 2].map(berInt)),
  );
  const body = Buffer.concat([
    ber([0x0a], Buffer.from([0])), // result: rt-successful
    berInt(0), // called connect id
    domainParameters,
    ber([0x04], gcc),
  ]);
  return ber([0x7f, 0x66], body);
}

// Domain PDUs (PER): the choice index sits in the top six bits of the first byte.
export const MCS_ERECT_DOMAIN = 1;
export const MCS_DISCONNECT_ULTIMATUM = 8;
export const MCS_ATTACH_USER_REQUEST = 10;
export const MCS_CHANNEL_JOIN_REQUEST = 14;
export const MCS_SEND_DATA_REQUEST = 25;

export function domainPduType(mcs: Buffer): number {
  if (mcs.length < 1) throw new ProtocolError('empty MCS PDU');
  return mcs[0] >> 2;
}

export function attachUserConfirm(userId: number): Buffer {
  return new ByteWriter().u8((11 << 2) | 2).u8(0).u16be(userId - 1001).toBuffer();
}

export function parseChannelJoin(mcs: Buffer): { userId: number; channelId: number } {
  const r = new ByteReader(mcs);
  r.skip(1);
  const userId = r.u16be('channel join initiator') + 1001;
  const channelId = r.u16be('channel join id');
  return { userId, channelId };
}

export function channelJoinConfirm(userId: number, channelId: number, ok: boolean): Buffer {
  return new ByteWriter()
    .u8((15 << 2) | 2)
    .u8(ok ? 0 : 14) // rt-no-such-channel when refused
    .u16be(userId - 1001)
    .u16be(channelId)
    .u16be(channelId)
    .toBuffer();
}

export function parseSendDataRequest(mcs: Buffer): { channelId: number; data: Buffer } {
  const r = new ByteReader(mcs);
  r.skip(1);
  r.skip(2, 'send data initiator');
  const channelId = r.u16be('send data channel');
  r.skip(1, 'send data priority');
  let len = r.u8('send data length');
  if (len & 0x80) len = ((len & 0x3f) << 8) | r.u8('send data length');
  return { channelId, data: r.take(len, 'send data payload') };
}

export function sendDataIndication(channelId: number, data: Buffer): Buffer {
  return Buffer.concat([
    new ByteWriter()
      .u8(26 << 2)
      .u16be(SERVER_CHANNEL - 1001)
      .u16be(channelId)
      .u8(0x70)
      .toBuffer(),
    data.length < 0x80 ? Buffer.from([data.length]) : Buffer.from([0x80 | (data.length >> 8), data.length & 0xff]),
    data,
  ]);
}
