import { ByteReader, ByteWriter, ProtocolError } from './bytes.ts';
import { ChannelReassembler, channelChunks } from './static-channel.ts';

// The clipboard static virtual channel "cliprdr" (MS-RDPECLIP), server side, text only: the server announces its
// capabilities and Monitor Ready; the client answers with its capabilities, temporary directory and Format List.
// A client Format List offering Unicode text is fetched with a Format Data Request; the desktop's own text is
// announced with a Format List and handed out on the client's Format Data Request.

export const CLIPRDR_CHANNEL = 'cliprdr';

const CB_MONITOR_READY = 0x0001;
const CB_FORMAT_LIST = 0x0002;
const CB_FORMAT_LIST_RESPONSE = 0x0003;
const CB_FORMAT_DATA_REQUEST = 0x0004;
const CB_FORMAT_DATA_RESPONSE = 0x0005;
const CB_TEMP_DIRECTORY = 0x0006;
const CB_CLIP_CAPS = 0x0007;

const CB_RESPONSE_OK = 0x0001;
const CB_RESPONSE_FAIL = 0x0002;
const CB_ASCII_NAMES = 0x0004;

const CB_CAPSTYPE_GENERAL = 1;
const CB_CAPS_VERSION_2 = 2;
const CB_USE_LONG_FORMAT_NAMES = 0x0002;

export const CF_UNICODETEXT = 13;

/** Clipboard text longer than this (in UTF-16 code units) is refused: a demo screen shows one line of it. */
const MAX_TEXT = 64 * 1024;

export interface ClipboardHost {
  /** Text the client put on its clipboard and handed over. */
  received(text: string): void;
  /** The desktop's own clipboard text (what a client gets when it pastes from this machine). */
  text(): string;
}

function pdu(type: number, flags: number, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([new ByteWriter().u16le(type).u16le(flags).u32le(body.length).toBuffer(), body]);
}

/** A NUL-terminated UTF-16LE string, as CF_UNICODETEXT carries it. */
function unicodeText(text: string): Buffer {
  return Buffer.from(text + '\0', 'utf16le');
}

function decodeUnicodeText(data: Buffer): string {
  const even = data.subarray(0, data.length & ~1);
  const text = even.toString('utf16le');
  const nul = text.indexOf('\0');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/** The format ids of a Format List, in long (variable) or short (36-byte) entry form. */
function parseFormatIds(body: Buffer, longNames: boolean): number[] {
  const ids: number[] = [];
  const r = new ByteReader(body);
  if (!longNames) {
    if (body.length % 36 !== 0) throw new ProtocolError('clipboard format list with a partial short entry');
    while (r.remaining) {
      ids.push(r.u32le('format id'));
      r.skip(32, 'format name');
    }
    return ids;
  }
  while (r.remaining >= 4) {
    ids.push(r.u32le('format id'));
    // The name: UTF-16LE code units up to and including a NUL.
    for (;;) {
      if (r.u16le('format name') === 0) break;
    }
  }
  if (ids.length > 1024) throw new ProtocolError('clipboard format list too long');
  return ids;
}

/**
 * One session's clipboard channel. `send` writes a whole channel message (already chunked) to the client.
 *
 * The client's text is fetched a moment after its last Format List, one request at a time: xfreerdp announces
 * every format it knows first and a list refined from the X selection's targets just after, and a request that
 * arrives between the two is answered with a failure or not at all.
 */
export class ClipboardChannel {
  private reassembler = new ChannelReassembler();
  private longNames = false;
  private ready = false;
  /** What the client was last told this desktop's clipboard holds, so unchanged text is not announced again. */
  private announced: string | null = null;
  /** The client's latest Format List offers Unicode text that has not been fetched yet. */
  private textOffered = false;
  private requestTimer: NodeJS.Timeout | null = null;
  /** A Format Data Request is out; when it was sent (an unanswered one is given up after a while). */
  private outstandingSince: number | null = null;

  constructor(
    private readonly send: (chunk: Buffer) => void,
    private readonly host: ClipboardHost,
    /** How long after the client's last Format List its text is requested (0: at once). */
    private readonly requestDelayMs = 250,
  ) {}

  /** The session ended: no more requests. */
  close(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = null;
  }

  /** Starts the exchange once the session is active: capabilities, then Monitor Ready. */
  start(): void {
    const general = new ByteWriter().u16le(CB_CAPSTYPE_GENERAL).u16le(12).u32le(CB_CAPS_VERSION_2).u32le(CB_USE_LONG_FORMAT_NAMES).toBuffer();
    this.write(pdu(CB_CLIP_CAPS, 0, Buffer.concat([new ByteWriter().u16le(1).u16le(0).toBuffer(), general])));
    this.write(pdu(CB_MONITOR_READY, 0));
  }

  /** The desktop's clipboard changed: tell the client (after the initial exchange). */
  offer(): void {
    if (!this.ready) return;
    const text = this.host.text();
    if (text === this.announced) return;
    this.announced = text;
    const entry = this.longNames
      ? Buffer.concat([new ByteWriter().u32le(CF_UNICODETEXT).toBuffer(), Buffer.from('\0', 'utf16le')])
      : Buffer.concat([new ByteWriter().u32le(CF_UNICODETEXT).toBuffer(), Buffer.alloc(32)]);
    this.write(pdu(CB_FORMAT_LIST, 0, entry));
  }

  /** One channel chunk from the client. */
  receive(chunk: Buffer): void {
    const msg = this.reassembler.push(chunk);
    if (!msg) return;
    const r = new ByteReader(msg);
    const type = r.u16le('clipboard message type');
    const flags = r.u16le('clipboard message flags');
    const len = r.u32le('clipboard data length');
    const body = r.take(len, 'clipboard message');
    switch (type) {
      case CB_CLIP_CAPS:
        return this.onCapabilities(body);
      case CB_TEMP_DIRECTORY:
        return; // file copy is not offered; the folder is of no use here
      case CB_FORMAT_LIST: {
        const ids = parseFormatIds(body, this.longNames && !(flags & CB_ASCII_NAMES));
        this.write(pdu(CB_FORMAT_LIST_RESPONSE, CB_RESPONSE_OK));
        this.textOffered = ids.includes(CF_UNICODETEXT);
        this.scheduleRequest();
        if (!this.ready) {
          // The client's first Format List ends the initialisation; now this desktop's clipboard can be offered.
          this.ready = true;
          this.offer();
        }
        return;
      }
      case CB_FORMAT_DATA_RESPONSE:
        this.outstandingSince = null;
        if (flags & CB_RESPONSE_OK) {
          if (body.length > MAX_TEXT * 2 + 2) throw new ProtocolError('clipboard text too long');
          this.host.received(decodeUnicodeText(body));
        }
        // A newer Format List came while this answer was on its way: fetch that one too.
        if (this.textOffered) this.scheduleRequest();
        return;
      case CB_FORMAT_DATA_REQUEST: {
        const format = new ByteReader(body).u32le('requested format');
        if (format !== CF_UNICODETEXT) return this.write(pdu(CB_FORMAT_DATA_RESPONSE, CB_RESPONSE_FAIL));
        return this.write(pdu(CB_FORMAT_DATA_RESPONSE, CB_RESPONSE_OK, unicodeText(this.host.text())));
      }
      default:
        return; // format list responses, locks, file contents: nothing to answer for text
    }
  }

  private scheduleRequest(): void {
    if (!this.textOffered) return;
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = null;
    if (this.requestDelayMs === 0) return this.requestText();
    this.requestTimer = setTimeout(() => {
      this.requestTimer = null;
      this.requestText();
    }, this.requestDelayMs);
  }

  private requestText(): void {
    // One request at a time; the answer's arrival sends the next (an answer lost for 2 s no longer blocks).
    if (!this.textOffered) return;
    const waited = this.outstandingSince === null ? Infinity : Date.now() - this.outstandingSince;
    if (waited < 2000) {
      if (!this.requestTimer) this.requestTimer = setTimeout(() => ((this.requestTimer = null), this.requestText()), 2000 - waited);
      return;
    }
    this.textOffered = false;
    this.outstandingSince = Date.now();
    this.write(pdu(CB_FORMAT_DATA_REQUEST, 0, new ByteWriter().u32le(CF_UNICODETEXT).toBuffer()));
  }

  private onCapabilities(body: Buffer): void {
    const r = new ByteReader(body);
    const count = r.u16le('clipboard capability count');
    r.skip(2);
    let flags = 0;
    for (let i = 0; i < count; i++) {
      const type = r.u16le('capability set type');
      const length = r.u16le('capability set length');
      if (length < 4) throw new ProtocolError('clipboard capability set shorter than its header');
      const set = new ByteReader(r.take(length - 4, 'capability set'));
      if (type === CB_CAPSTYPE_GENERAL) {
        set.u32le('clipboard version');
        flags = set.u32le('clipboard general flags');
      }
    }
    // Long format names only when both sides support them (this server always does).
    this.longNames = (flags & CB_USE_LONG_FORMAT_NAMES) !== 0;
  }

  private write(message: Buffer): void {
    for (const chunk of channelChunks(message)) this.send(chunk);
  }
}
