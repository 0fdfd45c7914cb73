// Console URLs and addresses as users paste them, nova-console:// links from web pages and mail, and .rdp files.
import fc from 'fast-check';
import { classifyConsoleUrl, parseConsoleUrl } from '../../electron/openstack/console-url.ts';
import { AppError } from '../../electron/openstack/errors.ts';
import { parseConsoleInput } from '../../renderer/logic/parse-target.ts';
import { parseDeepLink, parseRdpFile, rdpFileRequest } from '../../electron/app/launch-input.ts';
import { expectTyped, holds, plainError, type FuzzTarget } from './harness.ts';
import { anyText, mutatedBytes, mutatedText } from './mutate.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WS_TOKEN = /^[A-Za-z0-9._~-]{1,256}$/;

const URL_SYNTAX = ['http://', 'https://', 'ws://', 'wss://', 'rdp://', 'vnc://', 'nova-console://', '?', '&', '#', '#?', '=', '/', ':', '[', ']', '@', '%', '%3F', '%3D', '%2F', '%00', 'token=', 'path=', 'title=', 'vnc_lite.html', 'vnc.html', 'spice.html', 'mks.html', '/nova', '(', ')', '"', "'", '<', '>', '`', ' ', '\t', '\n', '..', '::1', '65536', '0'];

const hostArb = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((h) => `[${h}]`), fc.constantFrom('localhost', 'proxy', 'a', '127.0.0.1', '[::1]'));
const portArb = fc.option(fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constantFrom(80, 443, 6080, 6083, 65535)), { nil: undefined });
const tokenArb = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/), fc.string({ maxLength: 40 }));
const pageArb = fc.constantFrom('', 'vnc.html', 'vnc_lite.html', 'vnc_auto.html', 'spice_auto.html', 'mks.html', 'nova', 'index.html', 'serial');

/** A console URL in one of the shapes Nova, Horizon and noVNC hand out, with its parts drawn at random. */
const consoleUrlArb = fc
  .record({
    scheme: fc.constantFrom('http', 'https', 'ws', 'wss', 'HTTP', 'ftp'),
    host: hostArb,
    port: portArb,
    prefix: fc.constantFrom('', 'vnc/', 'novnc/', 'a/b/'),
    page: pageArb,
    token: tokenArb,
    where: fc.constantFrom('query', 'path', 'path-no-q', 'hash', 'none'),
    title: fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.tuple(fc.string({ maxLength: 12 }), fc.uuid()).map(([n, u]) => `${n}(${u})`)), { nil: undefined }),
    wrap: fc.constantFrom('', '"', "'", '<', '`', ' '),
  })
  .map((p) => {
    const token = p.where === 'none' ? '' : p.token;
    const query =
      p.where === 'query'
        ? `?token=${token}`
        : p.where === 'path'
          ? `?path=${encodeURIComponent(`websockify?token=${token}`)}`
          : p.where === 'path-no-q'
            ? `?path=${encodeURIComponent(`token=${token}`)}`
            : p.where === 'hash'
              ? `#?token=${token}`
              : '';
    const title = p.title === undefined ? '' : `${query.startsWith('?') ? '&' : '?'}title=${encodeURIComponent(p.title)}`;
    const url = `${p.scheme}://${p.host}${p.port === undefined ? '' : `:${p.port}`}/${p.prefix}${p.page}${query.startsWith('#') ? title + query : query + title}`;
    const close = p.wrap === '<' ? '>' : p.wrap;
    return { url: `${p.wrap}${url}${close}`, token };
  });

const consoleText = fc.oneof(
  { weight: 3, arbitrary: consoleUrlArb.map((u) => u.url) },
  { weight: 3, arbitrary: mutatedText(consoleUrlArb.map((u) => u.url), URL_SYNTAX) },
  { weight: 1, arbitrary: anyText(120) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
);

const isAppError = (...codes: string[]) => (err: unknown) => err instanceof AppError && codes.includes(err.code) && err.message !== '';

/** A token placed literally as `token=T` (long enough to be recognisable) must never be quoted back. */
function tokenNotEchoed(error: unknown, token: string): void {
  if (token.length < 8 || !/^[A-Za-z0-9-]+$/.test(token)) return;
  holds(!(error as Error).message.includes(token), 'an error message quotes the console token');
}

const validPort = (p: number) => Number.isInteger(p) && p >= 0 && p <= 65535;

export const consoleUrl: FuzzTarget<{ text: string; token: string }> = {
  name: 'console-url',
  arbitrary: fc.oneof(consoleUrlArb, consoleText.map((text) => ({ text, token: '' }))).map((v) => ('url' in v ? { text: v.url, token: v.token } : v)),
  check({ text, token }) {
    const r = expectTyped(() => parseConsoleUrl(text), isAppError('bad-url'));
    if ('error' in r) return tokenNotEchoed(r.error, token);
    const u = r.value;
    holds(UUID.test(u.token), 'the token is a lower-case UUID');
    holds(validPort(u.port), 'the port is 0–65535');
    holds(u.host !== '' && !u.host.startsWith('['), 'the host is bare and not empty');
    holds(u.url === text.trim() || text.includes(u.url), 'the URL is the text as given, unwrapped');
  },
};

export const consoleUrlClassify: FuzzTarget<{ text: string; token: string }> = {
  name: 'console-url-classify',
  arbitrary: consoleUrl.arbitrary,
  check({ text, token }) {
    const r = expectTyped(() => classifyConsoleUrl(text), isAppError('bad-url', 'unavailable'));
    if ('error' in r) return tokenNotEchoed(r.error, token);
    const c = r.value;
    switch (c.protocol) {
      case 'rdp':
        holds(UUID.test(c.token) && validPort(c.port), 'an rdp console has a UUID token and a port');
        return;
      case 'vnc': {
        holds(WS_TOKEN.test(c.token), 'a VNC token is URL-safe and at most 256 characters');
        const ws = new URL(c.proxy.wsUrl);
        holds(ws.protocol === (c.proxy.tls ? 'wss:' : 'ws:') && ws.hash === '', 'the VNC WebSocket is ws(s) without a fragment');
        holds(ws.searchParams.get('token') === c.token, 'the WebSocket carries the token');
        holds(validPort(c.proxy.port), 'the proxy port is 0–65535');
        return;
      }
      case 'serial': {
        holds(WS_TOKEN.test(c.token), 'a serial token is URL-safe and at most 256 characters');
        const ws = new URL(c.wsUrl);
        holds((ws.protocol === 'ws:' || ws.protocol === 'wss:') && ws.hash === '', 'the serial WebSocket is ws(s) without a fragment');
        holds(validPort(c.port), 'the proxy port is 0–65535');
        return;
      }
    }
  },
};

const ADDRESS_SYNTAX = ['rdp://', 'vnc://', 'http://', 'ws://', ':', '::', '[', ']', '/', '.', '-', ' ', '0', '65535', '65536', '99999', '3389', 'host', '[::1]'];
const addressArb = fc
  .tuple(fc.constantFrom('', 'rdp://', 'vnc://', 'RDP://'), hostArb, portArb, fc.constantFrom('', '/', '//'))
  .map(([s, h, p, tail]) => `${s}${h}${p === undefined ? '' : `:${p}`}${tail}`);
const inputText = fc.oneof(addressArb, mutatedText(addressArb, ADDRESS_SYNTAX), consoleText);

export const consoleInput: FuzzTarget<string> = {
  name: 'console-input',
  arbitrary: inputText,
  check(text) {
    // Never throws: a bad entry is a sentence for the page.
    const r = parseConsoleInput(text);
    if (!r.ok) {
      holds(typeof r.message === 'string' && r.message !== '', 'a refusal has a sentence');
      return;
    }
    if (r.target.kind === 'address') {
      holds(r.target.port >= 1 && r.target.port <= 65535 && Number.isInteger(r.target.port), 'an address has a port 1–65535');
      holds(r.target.host !== '' && !/\s/.test(r.target.host), 'an address has a host without spaces');
    } else {
      holds(r.target.kind === 'url' && r.target.url === text.trim(), 'a console URL is passed on as typed');
    }
  },
};

/** Well-formed text only: a link carries its target percent-encoded, and lone surrogates cannot be encoded. */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

export const deepLink: FuzzTarget<{ link: string } | { target: string }> = {
  name: 'deep-link',
  arbitrary: fc.oneof(
    inputText.filter(wellFormed).map((target) => ({ target })),
    mutatedText(
      inputText.filter(wellFormed).map((t) => `nova-console://connect?url=${encodeURIComponent(t)}`),
      ['nova-console:', '//', 'connect', 'CONNECT', '?url=', '&url=', '%', '%2', '#', '/', 'delete', '@', ':'],
    ).map((link) => ({ link })),
  ),
  check(input) {
    if ('link' in input) {
      const r = expectTyped(() => parseDeepLink(input.link), plainError);
      if ('value' in r) holds(parseConsoleInput(new URL(input.link).searchParams.get('url')!).ok, 'a link opens only what the address bar would');
      return;
    }
    // A link carrying a target means exactly what typing the target means.
    const r = expectTyped(() => parseDeepLink(`nova-console://connect?url=${encodeURIComponent(input.target)}`), plainError);
    const typed = parseConsoleInput(input.target);
    if ('value' in r) {
      holds(typed.ok && JSON.stringify(typed.target) === JSON.stringify(r.value.target) && typed.label === r.value.label, 'the link opens what typing its target opens');
    } else {
      holds(input.target === '' || (!typed.ok && typed.message === (r.error as Error).message), 'the link is refused with the sentence typing it gives');
    }
  },
};

const RDP_KEYS = ['full address', 'alternate full address', 'server port', 'username', 'domain', 'pcb', 'screen mode id', 'FULL ADDRESS'];

/** An .rdp file: `name:type:value` lines, some of them the honoured ones, in one of the encodings mstsc writes. */
const rdpLines = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom(...RDP_KEYS), fc.constantFrom('s', 'i', 'b', 'S', 'x'), fc.oneof(hostArb, fc.string({ maxLength: 30 }), addressArb)).map(([k, t, v]) => `${k}:${t}:${v}`),
    fc.string({ maxLength: 40 }),
  ),
  { maxLength: 8 },
);

const encodeRdp = (text: string, encoding: string): Buffer => {
  switch (encoding) {
    case 'utf16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16be-bom': {
      const le = Buffer.from(text, 'utf16le');
      return Buffer.concat([Buffer.from([0xfe, 0xff]), le.swap16()]);
    }
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    default:
      return Buffer.from(text);
  }
};
const ENCODINGS = ['utf8', 'utf8-bom', 'utf16le', 'utf16le-bom', 'utf16be-bom'];

/** A file whose honoured fields are known, to check that they come back. */
const knownRdp = fc.record({
  host: fc.oneof(fc.domain(), fc.ipV4()),
  port: fc.integer({ min: 1, max: 65535 }),
  username: fc.option(fc.stringMatching(/^[a-z][a-z0-9._]{0,15}$/), { nil: undefined }),
  domain: fc.option(fc.stringMatching(/^[A-Z][A-Z0-9]{0,10}$/), { nil: undefined }),
  noise: rdpLines,
  eol: fc.constantFrom('\r\n', '\n'),
  encoding: fc.constantFrom(...ENCODINGS),
});

type RdpInput = { bytes: Buffer } | { known: { host: string; port: number; username?: string; domain?: string }; bytes: Buffer };

export const rdpFile: FuzzTarget<RdpInput> = {
  name: 'rdp-file',
  arbitrary: fc.oneof(
    fc.tuple(rdpLines, fc.constantFrom('\r\n', '\n'), fc.constantFrom(...ENCODINGS)).map(([lines, eol, enc]) => ({ bytes: encodeRdp(lines.join(eol), enc) })),
    mutatedBytes(fc.tuple(rdpLines, fc.constantFrom(...ENCODINGS)).map(([lines, enc]) => encodeRdp(['full address:s:host:3389', ...lines].join('\r\n'), enc))).map((bytes) => ({ bytes })),
    knownRdp.map((k) => {
      // Noise first, the known fields last: the last line of a field wins.
      const lines = [...k.noise, `full address:s:${k.host}:${k.port}`, 'alternate full address:s:', `username:s:${k.username ?? ''}`, `domain:s:${k.domain ?? ''}`, 'pcb:s:'];
      return { known: { host: k.host, port: k.port, username: k.username, domain: k.domain }, bytes: encodeRdp(lines.join(k.eol), k.encoding) };
    }),
  ),
  check(input) {
    const r = expectTyped(() => parseRdpFile(input.bytes), plainError);
    if ('known' in input) {
      holds('value' in r, `a well-formed file is read (${'error' in r ? (r.error as Error).message : ''})`);
      const f = r.value;
      const k = input.known;
      holds(f.host === k.host && f.port === k.port && f.username === k.username && f.domain === k.domain, 'the honoured fields come back as written');
    }
    if ('error' in r) return;
    const f = r.value;
    holds(f.host !== '' && !/\s/.test(f.host), 'the host has no spaces');
    holds(Number.isInteger(f.port) && f.port >= 1 && f.port <= 65535, 'the port is 1–65535');
    const req = rdpFileRequest(f);
    holds(req.target.kind === 'address' && req.target.host === f.host && req.label.endsWith(`:${f.port}`), 'the request opens the file\'s address');
  },
};

export const targets = [consoleUrl, consoleUrlClassify, consoleInput, deepLink, rdpFile];
