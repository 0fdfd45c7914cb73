import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyConsoleUrl, parseConsoleUrl } from '../../../electron/openstack/console-url.ts';
import { AppError } from '../../../electron/api/app-error.ts';

const TOKEN = 'f9906a48-b71e-4f18-baca-c987da3ebdb3';

test('reads the URL Nova hands out', () => {
  const p = parseConsoleUrl(`http://example.com:6083/?token=${TOKEN}`);
  assert.equal(p.token, TOKEN);
  assert.equal(p.host, 'example.com');
  assert.equal(p.port, 6083);
  assert.equal(p.title, undefined);
});

test("reads Horizon's title and the seed's example", () => {
  const p = parseConsoleUrl(`http://example.com:6083/?token=${TOKEN}&title=dafa(75ecef58-3b8e-4659-ab3b-5501454188e9)`);
  assert.equal(p.token, TOKEN);
  assert.deepEqual(p.title, { name: 'dafa', instanceUuid: '75ecef58-3b8e-4659-ab3b-5501454188e9' });
});

test('reads the noVNC path form and tolerates quotes, brackets and whitespace', () => {
  assert.equal(parseConsoleUrl(`https://proxy.example:443/vnc_auto.html?path=%3Ftoken%3D${TOKEN}`).token, TOKEN);
  assert.equal(parseConsoleUrl(`https://proxy.example/vnc_lite.html?path=websockify%3Ftoken%3D${TOKEN}`).token, TOKEN);
  assert.equal(parseConsoleUrl(`  "http://h:6083/?token=${TOKEN.toUpperCase()}"\n`).token, TOKEN);
  assert.equal(parseConsoleUrl(`<http://h:6083/?token=${TOKEN}>`).token, TOKEN);
  assert.equal(parseConsoleUrl(`'http://[::1]:6083/?token=${TOKEN}'`).host, '::1');
  assert.equal(parseConsoleUrl(`https://h/?token=${TOKEN}`).port, 443);
});

function rejects(input: string, pattern: RegExp) {
  assert.throws(
    () => parseConsoleUrl(input),
    (err: unknown) => {
      assert.ok(err instanceof AppError, 'an AppError');
      assert.equal(err.code, 'bad-url');
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('rejects malformed and foreign URLs with the reason', () => {
  rejects('', /empty/);
  rejects('   ', /empty/);
  rejects('not a url at all', /Not a console URL/);
  rejects(`example.com:6083/?token=${TOKEN}`, /Not a console URL.*http/);
  rejects(`ftp://example.com/?token=${TOKEN}`, /http:\/\/ or https:\/\/, not ftp:/);
  rejects('https://www.example.org/some/page?q=1', /not a Nova console URL: it has no token/);
  rejects('http://h:6083/?token=', /empty token/);
});

test('rejects tokens that are not UUIDs and never echoes them', () => {
  const secretish = 'not-a-uuid-but-maybe-secret';
  assert.throws(
    () => parseConsoleUrl(`http://h:6083/?token=${secretish}`),
    (err: unknown) => err instanceof AppError && err.code === 'bad-url' && /not a UUID/.test(err.message) && !err.message.includes(secretish),
  );
  rejects(`http://h:6083/?token=${TOKEN}x`, /not a UUID/);
  rejects(`http://h:6083/?token=${TOKEN.replace(/-/g, '')}`, /not a UUID/);
  assert.throws(
    () => parseConsoleUrl(`h:6083/?token=${TOKEN}`),
    (err: unknown) => err instanceof AppError && !err.message.includes(TOKEN),
  );
});

// classifyConsoleUrl: every URL shape of CONSOLES.md §2 and the forms operators and Horizon use.

function classified(input: string) {
  return classifyConsoleUrl(input);
}

function vnc(input: string) {
  const c = classifyConsoleUrl(input);
  assert.equal(c.protocol, 'vnc', input);
  return c;
}

function refuses(input: string, code: 'bad-url' | 'unavailable', pattern: RegExp, secret?: string) {
  assert.throws(
    () => classifyConsoleUrl(input),
    (err: unknown) => {
      assert.ok(err instanceof AppError, 'an AppError');
      assert.equal(err.code, code, err.message);
      assert.match(err.message, pattern);
      if (secret) assert.ok(!err.message.includes(secret), `the token is not echoed: ${err.message}`);
      return true;
    },
  );
}

test("classify: the seed's RDP form is rdp, exactly as parseConsoleUrl reads it", () => {
  const input = `http://example.com:6083/?token=${TOKEN}&title=dafa(75ecef58-3b8e-4659-ab3b-5501454188e9)`;
  assert.deepEqual(classified(input), { protocol: 'rdp', ...parseConsoleUrl(input) });
  const c = classified(`  'https://proxy.example/rdp/?token=${TOKEN.toUpperCase()}' `);
  assert.ok(c.protocol === 'rdp');
  assert.equal(c.token, TOKEN);
  assert.equal(c.port, 443);
  refuses(`http://h:6083/?token=not-a-uuid`, 'bad-url', /not a UUID/, 'not-a-uuid');
});

test('classify: noVNC pages with the token inside path= (Nova novnc, vnc_auto and vnc_lite)', () => {
  const auto = vnc(`http://h:6080/vnc_auto.html?path=%3Ftoken%3D${TOKEN}`);
  assert.deepEqual(auto, {
    protocol: 'vnc',
    url: `http://h:6080/vnc_auto.html?path=%3Ftoken%3D${TOKEN}`,
    token: TOKEN,
    proxy: { wsUrl: `ws://h:6080/?token=${TOKEN}`, host: 'h', port: 6080, tls: false },
  });
  const lite = vnc(`https://cloud.example/vnc_lite.html?path=%3Ftoken%3D${TOKEN}&title=web-1(${TOKEN})`);
  assert.deepEqual(lite.proxy, { wsUrl: `wss://cloud.example/?token=${TOKEN}`, host: 'cloud.example', port: 443, tls: true });
  assert.deepEqual(lite.title, { name: 'web-1', instanceUuid: TOKEN });
  // noVNC resolves path from the host's root: an operator's proxy prefix is in the path value.
  assert.equal(vnc(`https://cloud.example:8443/novnc/vnc_lite.html?path=novnc%2Fwebsockify%3Ftoken%3D${TOKEN}`).proxy.wsUrl, `wss://cloud.example:8443/novnc/websockify?token=${TOKEN}`);
  // Any page (or none) whose path= holds a token; a path with a leading slash; noVNC's full vnc.html; a fragment.
  assert.equal(vnc(`http://h:6080/?path=%3Ftoken%3D${TOKEN}`).proxy.wsUrl, `ws://h:6080/?token=${TOKEN}`);
  assert.equal(vnc(`http://h:6080/console.html?path=%2Fwebsockify%3Ftoken%3D${TOKEN}`).proxy.wsUrl, `ws://h:6080/websockify?token=${TOKEN}`);
  assert.equal(vnc(`http://h:6080/vnc.html?autoconnect=true&path=websockify%3Ftoken%3D${TOKEN}`).proxy.wsUrl, `ws://h:6080/websockify?token=${TOKEN}`);
  assert.equal(vnc(`http://h:6080/vnc.html#path=%3Ftoken%3D${TOKEN}`).proxy.wsUrl, `ws://h:6080/?token=${TOKEN}`);
});

test('classify: noVNC pages with ?token= (older clouds and Horizon): the proxy sits beside the page', () => {
  assert.deepEqual(vnc(`http://h:6080/vnc_auto.html?token=${TOKEN}`).proxy, { wsUrl: `ws://h:6080/?token=${TOKEN}`, host: 'h', port: 6080, tls: false });
  assert.equal(vnc(`https://cloud/vnc/vnc_lite.html?token=${TOKEN}`).proxy.wsUrl, `wss://cloud/vnc/?token=${TOKEN}`);
  assert.deepEqual(vnc('http://cloud/vnc_lite.html?token=abc').proxy, { wsUrl: 'ws://cloud/?token=abc', host: 'cloud', port: 80, tls: false });
  // noVNC 0.x adds the token to a path given without one.
  assert.equal(vnc(`http://h:6080/vnc_auto.html?path=websockify&token=${TOKEN}`).proxy.wsUrl, `ws://h:6080/websockify?token=${TOKEN}`);
  assert.equal(vnc(`http://[::1]:6080/vnc.html?token=${TOKEN}`).proxy.host, '::1');
});

test('classify: VNC and serial tokens need not be UUIDs (websockify token files), but must be short URL-safe text', () => {
  assert.equal(vnc('http://h:6080/vnc_lite.html?path=%3Ftoken%3Dmy-vm_01.A~').token, 'my-vm_01.A~');
  assert.equal(classified('ws://h:6083/?token=Serial_Token').protocol, 'serial');
  assert.equal(vnc(`http://h/vnc_lite.html?token=${'a'.repeat(256)}`).token.length, 256);
  const secret = 's3cret'.repeat(50);
  refuses(`http://h/vnc_lite.html?token=${secret}`, 'bad-url', /too long \(300 characters; at most 256\)/, secret);
  refuses(`ws://h:6083/?token=${secret}`, 'bad-url', /too long/, secret);
  refuses('http://h/vnc_lite.html?path=%3Ftoken%3Dsecret%2Fpart', 'bad-url', /characters a console token cannot have.*got 11 characters/, 'secret');
  refuses('ws://h:6083/?token=secret%20word', 'bad-url', /characters a console token cannot have/, 'secret');
  refuses('http://h/vnc_lite.html?path=%3Ftoken%3D', 'bad-url', /empty token/);
  refuses('wss://h/?token=', 'bad-url', /empty token/);
});

test('classify: a path= cannot lead the WebSocket off the page host', () => {
  assert.equal(vnc('https://h/vnc_lite.html?path=%2F%2Fevil.example%2Fx%3Ftoken%3Dabc').proxy.wsUrl, 'wss://h/evil.example/x?token=abc');
  assert.equal(vnc('https://h/vnc_lite.html?path=%5C%5Cevil.example%2Fx%3Ftoken%3Dabc').proxy.host, 'h');
  assert.equal(new URL(vnc('https://h/vnc_lite.html?path=..%2F..%2Fx%3Ftoken%3Dabc').proxy.wsUrl).host, 'h');
});

test('classify: serial consoles are the proxy WebSocket itself, ws or wss', () => {
  assert.deepEqual(classified(`ws://h:6083/?token=${TOKEN}`), {
    protocol: 'serial',
    url: `ws://h:6083/?token=${TOKEN}`,
    token: TOKEN,
    wsUrl: `ws://h:6083/?token=${TOKEN}`,
    host: 'h',
    port: 6083,
    tls: false,
  });
  const secure = classified(` "wss://console.example/serial/?token=${TOKEN}#frag" `);
  assert.ok(secure.protocol === 'serial');
  assert.equal(secure.wsUrl, `wss://console.example/serial/?token=${TOKEN}`);
  assert.equal(secure.port, 443);
  assert.equal(secure.tls, true);
  refuses('ws://h:6083/', 'bad-url', /ws:\/\/h:6083\/ is not a console URL: it has no token/);
});

test('classify: SPICE and WebMKS are explained as not supported yet, with what to use instead', () => {
  refuses(`http://h:6082/spice_auto.html?token=${TOKEN}`, 'unavailable', /^SPICE consoles are not supported yet.*remote-viewer.*VNC or serial console instead$/, TOKEN);
  refuses(`https://cloud/spice/spice.html?token=${TOKEN}`, 'unavailable', /^SPICE consoles are not supported yet/, TOKEN);
  refuses(`http://h:13002/nova?token=${TOKEN}`, 'unavailable', /^SPICE direct consoles are not supported yet \(this URL serves a \.vv file for remote-viewer\): open it with remote-viewer/, TOKEN);
  refuses(`http://h:6090/mks.html?token=${TOKEN}`, 'unavailable', /^VMware WebMKS consoles are not supported yet.*VNC console instead$/, TOKEN);
});

test('classify: garbage and foreign URLs are bad-url with the reason, never echoing a token', () => {
  refuses('', 'bad-url', /empty/);
  refuses('  ', 'bad-url', /empty/);
  refuses('not a url at all', 'bad-url', /^Not a console URL: "not a url at all" \(expected http\(s\):\/\/host:port\/\?token=…, a noVNC page/);
  refuses(`h:6080/vnc_auto.html?path=%3Ftoken%3D${TOKEN}`, 'bad-url', /Not a console URL/, TOKEN);
  refuses(`ftp://h/?token=${TOKEN}`, 'bad-url', /http:\/\/, https:\/\/, ws:\/\/ or wss:\/\/, not ftp:\/\//, TOKEN);
  refuses('vnc://h:5900', 'bad-url', /not vnc:\/\//);
  refuses('http://[bad', 'bad-url', /Not a URL/);
  refuses('https://www.example.org/some/page?q=1', 'bad-url', /https:\/\/www\.example\.org\/some\/page is not a Nova console URL: it has no token/);
  refuses('http://h:6080/vnc_lite.html', 'bad-url', /no token \(a noVNC console URL carries its token in \?path=%3Ftoken%3D… or \?token=…\)/);
  refuses('http://h:6080/vnc_auto.html?path=websockify', 'bad-url', /no token/);
});
