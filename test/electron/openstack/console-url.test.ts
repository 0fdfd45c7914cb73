import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConsoleUrl } from '../../../electron/openstack/console-url.ts';
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
