import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';

// Dynamic resolution: the display control dynamic channel (MS-RDPEDISP) carried over the drdynvc static channel
// (MS-RDPEDYC), itself inside static virtual channel chunks (MS-RDPBCGR 2.2.6.1).

export const DISPLAY_CONTROL_CHANNEL = 'Microsoft::Windows::RDS::DisplayControl';

export function dvcCapsRequest(): Buffer {
  return new ByteWriter().u8(0x50).u8(0).u16le(1).toBuffer();
}

export function dvcCreateRequest(channelId: number, name: string): Buffer {
  return Buffer.concat([Buffer.from([0x10, channelId]), Buffer.from(name + '\0', 'latin1')]);
}

export function dvcData(channelId: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x30, channelId]), data]);
}

export function displayControlCaps(): Buffer {
  // One monitor, up to 8192×8192.
  return new ByteWriter().u32le(5).u32le(20).u32le(1).u32le(8192).u32le(8192).toBuffer();
}

export type DvcMessage =
  | { kind: 'caps' }
  | { kind: 'created'; channelId: number; ok: boolean }
  | { kind: 'data'; channelId: number; data: Buffer }
  | { kind: 'other' };

function readChannelId(r: ByteReader, cbId: number): number {
  if (cbId === 0) return r.u8('dvc channel id');
  if (cbId === 1) return r.u16le('dvc channel id');
  return r.u32le('dvc channel id');
}

export function parseDvc(msg: Buffer): DvcMessage {
  const r = new ByteReader(msg);
  const header = r.u8('dvc header');
  const cmd = header >> 4;
  const sp = (header >> 2) & 3;
  const cbId = header & 3;
  switch (cmd) {
    case 0x5:
      return { kind: 'caps' };
    case 0x1: {
      const channelId = readChannelId(r, cbId);
      const status = r.u32le('creation status') | 0;
      return { kind: 'created', channelId, ok: status >= 0 };
    }
    case 0x2: {
      // Data First: a total length (size given by Sp) precedes the data. Small messages are complete here.
      const channelId = readChannelId(r, cbId);
      const total = sp === 0 ? r.u8() : sp === 1 ? r.u16le() : r.u32le();
      const data = r.take(r.remaining);
      if (data.length < total) return { kind: 'other' }; // fragmented: display control messages never are
      return { kind: 'data', channelId, data };
    }
    case 0x3:
      return { kind: 'data', channelId: readChannelId(r, cbId), data: r.take(r.remaining) };
    default:
      return { kind: 'other' };
  }
}

/** The primary monitor's size from a DISPLAYCONTROL_MONITOR_LAYOUT_PDU, or null for other display PDUs. */
export function parseMonitorLayout(data: Buffer): { width: number; height: number } | null {
  const r = new ByteReader(data);
  const type = r.u32le('display control type');
  r.u32le('display control length');
  if (type !== 2) return null;
  const size = r.u32le('monitor layout size');
  const count = r.u32le('monitor count');
  if (size < 40 || count < 1 || count > 16) throw new ProtocolError('malformed monitor layout');
  let chosen: { width: number; height: number } | null = null;
  for (let i = 0; i < count; i++) {
    const m = new ByteReader(r.take(size, 'monitor'));
    const flags = m.u32le();
    m.skip(8);
    const width = m.u32le();
    const height = m.u32le();
    if (!chosen || flags & 1) chosen = { width, height };
  }
  return chosen;
}
