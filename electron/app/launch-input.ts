import { basename } from 'node:path';
import type { ConsoleEvents } from '../common/contract.ts';
import { parseConsoleInput } from '../../renderer/logic/parse-target.ts';

/** What the OS handed the app at launch or later: a deep link or an .rdp file, ready to send as `app.open`. */
export type OpenRequest = ConsoleEvents['app.open'];

export const DEEP_LINK_SCHEME = 'nova-console';

/**
 * `nova-console://connect?url=<encoded console URL or address>`. Anything else is refused with a sentence (links come
 * from web pages and mail, so they are untrusted input; the main process still validates the target itself).
 */
export function parseDeepLink(link: string): OpenRequest {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new Error('The link is not a valid nova-console:// address.');
  }
  if (u.protocol !== `${DEEP_LINK_SCHEME}:`) throw new Error(`Only ${DEEP_LINK_SCHEME}:// links are handled.`);
  const action = (u.hostname || u.pathname.replace(/^\/+/, '')).toLowerCase();
  if (action !== 'connect') throw new Error(`Unknown link action "${action}": use ${DEEP_LINK_SCHEME}://connect?url=…`);
  const target = u.searchParams.get('url');
  if (!target) throw new Error(`The link names no console: use ${DEEP_LINK_SCHEME}://connect?url=<console URL or address>.`);
  const parsed = parseConsoleInput(target);
  if (!parsed.ok) throw new Error(parsed.message);
  return { target: parsed.target, label: parsed.label };
}

/** The fields of an .rdp file the app honours. */
export interface RdpFile {
  host: string;
  port: number;
  username?: string;
  domain?: string;
  pcb?: string;
}

/**
 * Parses an .rdp file (`name:type:value` lines, as mstsc writes them, UTF-16LE with a BOM or UTF-8). Honours `full
 * address` (with an optional :port, or `server port`), `username` (a `DOMAIN\user` form splits), `domain`, and the
 * pre-connection blob `pcb`; other settings are display preferences this app decides itself.
 */
export function parseRdpFile(data: Buffer | string): RdpFile {
  const text = typeof data === 'string' ? data : decode(data);
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^:]+?)\s*:\s*([sib])\s*:(.*)$/i.exec(line);
    if (m) fields.set(m[1].toLowerCase(), m[3].trim());
  }
  const full = fields.get('full address') || fields.get('alternate full address');
  if (!full) throw new Error('The .rdp file has no "full address" line.');
  let host = full;
  let port = 3389;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(full);
  const plain = /^([^:]+):(\d+)$/.exec(full);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (plain) {
    host = plain[1];
    port = Number(plain[2]);
  } else if (fields.has('server port')) {
    port = Number(fields.get('server port'));
  }
  if (!host || /\s/.test(host)) throw new Error(`The .rdp file's address "${full}" is not a host name.`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`The .rdp file's port ${port} is out of range (1–65535).`);
  let username = fields.get('username') || undefined;
  let domain = fields.get('domain') || undefined;
  if (username?.includes('\\')) {
    const [d, u] = username.split('\\', 2);
    domain ??= d || undefined;
    username = u || undefined;
  }
  const pcb = fields.get('pcb') || undefined;
  return { host, port, ...(username ? { username } : {}), ...(domain ? { domain } : {}), ...(pcb ? { pcb } : {}) };
}

export function rdpFileRequest(file: RdpFile): OpenRequest {
  const label = file.host.includes(':') ? `[${file.host}]:${file.port}` : `${file.host}:${file.port}`;
  return {
    target: { kind: 'address', protocol: 'rdp', host: file.host, port: file.port, ...(file.pcb ? { preConnectionBlob: file.pcb } : {}) },
    label,
    ...(file.username ? { username: file.username } : {}),
    ...(file.domain ? { domain: file.domain } : {}),
  };
}

function decode(buf: Buffer): string {
  // A UTF-16 file cut at an odd length loses its last half character, not the whole file.
  const even = (from: number) => buf.subarray(from, from + ((buf.length - from) & ~1));
  if (buf[0] === 0xff && buf[1] === 0xfe) return even(2).toString('utf16le');
  if (buf[0] === 0xfe && buf[1] === 0xff) return Buffer.from(even(2)).swap16().toString('utf16le');
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return buf.subarray(3).toString('utf8');
  // mstsc without BOM is still UTF-16LE: every other byte of ASCII text is zero.
  if (buf.length >= 4 && buf[1] === 0 && buf[3] === 0) return buf.toString('utf16le');
  return buf.toString('utf8');
}

/** Picks the deep link or .rdp path out of a command line (first launch, or a second instance's argv). */
export function launchArgs(argv: readonly string[]): { links: string[]; rdpFiles: string[] } {
  const links = argv.filter((a) => a.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}://`));
  const rdpFiles = argv.filter((a) => !a.startsWith('-') && a.toLowerCase().endsWith('.rdp'));
  return { links, rdpFiles };
}

/** The events a launch router sends to the page. */
export type LaunchEvent =
  | { event: 'app.open'; payload: ConsoleEvents['app.open'] }
  | { event: 'app.openError'; payload: ConsoleEvents['app.openError'] };

export interface LaunchRouterOptions {
  /** Sends an event to the page; called only once the page is ready (see `pageReady`). */
  emit(event: LaunchEvent): void;
  readFile(path: string): Promise<Buffer>;
  /** One line per refused input, for the terminal (the page shows the same sentence). */
  log?(line: string): void;
}

export interface LaunchRouter {
  handleLink(link: string): void;
  handleRdpFile(path: string): Promise<void>;
  /** A command line: the first launch's, or a second instance's. */
  handleArgs(argv: readonly string[]): Promise<void>;
  /** The page has loaded (again): everything held back is sent, in order. */
  pageReady(): void;
}

/** Why a file could not be read, in words (never a stack or errno dump). */
function readFailure(err: unknown): string {
  switch ((err as NodeJS.ErrnoException)?.code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'the app may not read the file';
    case 'EISDIR':
      return 'it is a folder, not a file';
    default:
      return 'the file could not be read';
  }
}

/**
 * Deep links and .rdp files from the OS, as `app.open` for the page, or `app.openError` saying why one cannot be
 * opened: a user who double-clicks a broken file sees the reason in the window, not only on a terminal nobody reads.
 * Events wait until the page is ready (a link can arrive before the window has loaded).
 */
export function createLaunchRouter(opts: LaunchRouterOptions): LaunchRouter {
  const held: LaunchEvent[] = [];
  let ready = false;
  const send = (e: LaunchEvent) => {
    if (ready) opts.emit(e);
    else held.push(e);
  };
  const refuse = (source: 'link' | 'file', message: string) => {
    opts.log?.(message);
    send({ event: 'app.openError', payload: { source, message } });
  };
  const router: LaunchRouter = {
    handleLink(link) {
      try {
        send({ event: 'app.open', payload: parseDeepLink(link) });
      } catch (err) {
        // The link itself is not repeated: it may carry a console token.
        refuse('link', `The ${DEEP_LINK_SCHEME}:// link could not be opened: ${sentence((err as Error).message)}`);
      }
    },
    async handleRdpFile(path) {
      const name = basename(path);
      let data: Buffer;
      try {
        data = await opts.readFile(path);
      } catch (err) {
        refuse('file', `${name} could not be opened: ${readFailure(err)}.`);
        return;
      }
      try {
        send({ event: 'app.open', payload: rdpFileRequest(parseRdpFile(data)) });
      } catch (err) {
        refuse('file', `${name} could not be opened: ${sentence((err as Error).message)}`);
      }
    },
    async handleArgs(argv) {
      const { links, rdpFiles } = launchArgs(argv);
      for (const link of links) router.handleLink(link);
      for (const file of rdpFiles) await router.handleRdpFile(file);
    },
    pageReady() {
      ready = true;
      for (const e of held.splice(0)) opts.emit(e);
    },
  };
  return router;
}

/** A parser's message continued after "could not be opened: " (lower-case start, one final full stop). */
function sentence(message: string): string {
  const m = message.trim();
  const lowered = /^[A-Z][a-z]/.test(m) ? m[0].toLowerCase() + m.slice(1) : m;
  return /[.!?]$/.test(lowered) ? lowered : `${lowered}.`;
}
