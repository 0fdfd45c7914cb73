import type { ConsoleTarget } from '../../electron/common/contract.ts';

/**
 * Decides what kind of console the user pasted or typed. Only enough parsing to pick the target kind: the main
 * process validates the URL and its token, since the page is not trusted to.
 */
export type ParsedInput = { ok: true; target: ConsoleTarget; label: string } | { ok: false; message: string };

const DEFAULT_PORTS = { rdp: 3389, vnc: 5900 } as const;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\d{1,5})$/;

export function parseConsoleInput(raw: string): ParsedInput {
  const text = raw.trim();
  if (text === '') return { ok: false, message: 'Enter a console URL, rdp://host[:port], vnc://host[:port] or host:port.' };
  if (/\s/.test(text)) return bad(text);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return bad(text);
    }
    if (!url.hostname) return bad(text);
    return { ok: true, target: { kind: 'url', url: text }, label: url.host };
  }
  // A serial console URL (ws/wss) is the main process's to explain, like every other console URL.
  if (scheme === 'ws' || scheme === 'wss') return { ok: true, target: { kind: 'url', url: text }, label: text.slice(scheme.length + 3).split(/[/?#]/)[0] };
  if (scheme === 'rdp' || scheme === 'vnc') {
    const rest = text.slice(scheme.length + 3).replace(/\/+$/, '');
    return address(scheme, HOST_PORT.test(rest) ? rest : `${rest}:${DEFAULT_PORTS[scheme]}`, text);
  }
  if (scheme) {
    return { ok: false, message: `"${scheme}://" addresses are not consoles: paste a console URL (http, https, ws or wss), rdp://host[:port], vnc://host[:port] or host:port.` };
  }
  return address('rdp', text, text);
}

function address(protocol: 'rdp' | 'vnc', hostPort: string, original: string): ParsedInput {
  const m = HOST_PORT.exec(hostPort);
  if (!m) return bad(original);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return { ok: false, message: `Port ${m[2]} is out of range: use 1 to 65535.` };
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { ok: true, target: { kind: 'address', protocol, host, port }, label: `${m[1]}:${port}` };
}

function bad(text: string): ParsedInput {
  const shown = text.length > 60 ? text.slice(0, 57) + '…' : text;
  return {
    ok: false,
    message: `"${shown}" is not a console URL or address: paste a console URL, rdp://host[:port], vnc://host[:port] or host:port.`,
  };
}

/** Title of a direct-address tab: `host:port`, with IPv6 hosts in brackets. */
export function addressTitle(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
