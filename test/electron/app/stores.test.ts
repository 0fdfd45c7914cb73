import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSettingsStore } from '../../../electron/app/settings-store.ts';
import { createCredentialStore } from '../../../electron/app/credential-store.ts';
import { permissionAllowed } from '../../../electron/app/permissions.ts';
import { resolveDataDir } from '../../../electron/app/data-dir.ts';
import type { SecretBox } from '../../../electron/app/secret-box.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'nova-app-store-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A reversible stand-in for safeStorage: enough to tell sealed text from plain text on disk.
const box: SecretBox = {
  encrypt: (p) => 'sealed:' + Buffer.from(p).toString('base64'),
  decrypt: (s) => {
    if (!s.startsWith('sealed:')) throw new Error('not sealed');
    return Buffer.from(s.slice(7), 'base64').toString();
  },
};

test('settings persist; passwords never reach the page and reach the disk only sealed', async () => {
  const dir = tmp();
  const a = createSettingsStore(dir);
  assert.deepEqual(await a.get(), { hideDemoCloud: false, consoleCredentials: {} });
  await a.update({ hideDemoCloud: true, consoleCredentials: { cloud: 'prod', credentials: { username: 'ops', password: 'Pa55-word', domain: 'CORP' } } });
  assert.deepEqual((await a.get()).consoleCredentials, { prod: { username: 'ops', domain: 'CORP', hasPassword: true } });
  assert.deepEqual(a.consoleCredentials('prod'), { username: 'ops', password: 'Pa55-word', domain: 'CORP' });
  const onDisk = readFileSync(join(dir, 'settings.json'), 'utf8');
  assert.ok(!onDisk.includes('Pa55-word'), 'no SecretBox: the password stays in memory');
  assert.equal(statSync(join(dir, 'settings.json')).mode & 0o077, 0, 'private to the user');

  const b = createSettingsStore(dir);
  assert.equal((await b.get()).hideDemoCloud, true);
  assert.deepEqual(b.consoleCredentials('prod'), { username: 'ops', password: '', domain: 'CORP' });

  const sealedDir = tmp();
  const c = createSettingsStore(sealedDir, box);
  await c.update({ consoleCredentials: { cloud: 'prod', credentials: { username: 'ops', password: 'Pa55-word' } } });
  assert.ok(!readFileSync(join(sealedDir, 'settings.json'), 'utf8').includes('Pa55-word'));
  await c.update({ consoleCredentials: { cloud: 'prod', credentials: { username: 'ops2', password: '' } } });
  assert.deepEqual(createSettingsStore(sealedDir, box).consoleCredentials('prod'), { username: 'ops2', password: 'Pa55-word' }, 'an empty password keeps the saved one');
});

test('presets (the demo cloud) fill in credentials until the user saves their own', async () => {
  const s = createSettingsStore(tmp());
  s.presetConsoleCredentials('demo', { username: 'Administrator', password: 'demo-pass' });
  assert.deepEqual((await s.get()).consoleCredentials.demo, { username: 'Administrator', hasPassword: true });
  assert.equal(s.consoleCredentials('demo')?.password, 'demo-pass');
  await s.update({ consoleCredentials: { cloud: 'demo', credentials: { username: 'me', password: 'x' } } });
  assert.deepEqual(s.consoleCredentials('demo'), { username: 'me', password: 'x' });
  await s.update({ consoleCredentials: { cloud: 'demo', credentials: null } });
  assert.equal(s.consoleCredentials('demo'), undefined);
});

test('a damaged settings file gives defaults and says so', async () => {
  const dir = tmp();
  await createSettingsStore(dir).update({ hideDemoCloud: true });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'settings.json'), '{ not json');
  const lines: string[] = [];
  assert.equal((await createSettingsStore(dir, undefined, (l) => lines.push(l)).get()).hideDemoCloud, false);
  assert.match(lines[0], /not valid JSON; it was moved to .*settings\.json\.damaged-/);
  const { readdirSync } = await import('node:fs');
  assert.ok(readdirSync(dir).some((n) => n.startsWith('settings.json.damaged-')), 'the damaged file is kept for the administrator');
});

test('remembered credentials: memory only without a SecretBox, sealed on disk with one', async () => {
  const dir = tmp();
  const mem = createCredentialStore(dir);
  await mem.save('h:3389', { username: 'u', password: 'secret-1' });
  assert.deepEqual(await mem.get('h:3389'), { username: 'u', password: 'secret-1' });
  assert.equal(existsSync(join(dir, 'credentials.json')), false);
  assert.equal(await createCredentialStore(dir).get('h:3389'), undefined);

  const sealed = createCredentialStore(dir, box);
  await sealed.save('h:3389', { username: 'u', password: 'secret-2', domain: 'D' });
  assert.ok(!readFileSync(join(dir, 'credentials.json'), 'utf8').includes('secret-2'));
  assert.deepEqual(await createCredentialStore(dir, box).get('h:3389'), { username: 'u', password: 'secret-2', domain: 'D' });
  await sealed.save('h:3389', null);
  assert.equal(await createCredentialStore(dir, box).get('h:3389'), undefined);
});

test('permissions: clipboard and fullscreen for the app page only', () => {
  assert.equal(permissionAllowed('clipboard-read', 'nova-app://app/index.html'), true);
  assert.equal(permissionAllowed('clipboard-sanitized-write', 'nova-app://app/'), true);
  assert.equal(permissionAllowed('fullscreen', 'nova-app://app/index.html'), true);
  for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'pointerLock', 'keyboardLock', 'unknown']) {
    assert.equal(permissionAllowed(p, 'nova-app://app/index.html'), false, p);
  }
  for (const u of ['https://evil.example/', 'nova-app://other/', 'file:///index.html', '', undefined]) {
    assert.equal(permissionAllowed('clipboard-read', u), false, String(u));
  }
});

test('data folder: NOVA_CONSOLE_DATA_DIR wins over the Electron folder', () => {
  const d = join(tmp(), 'x');
  assert.equal(resolveDataDir({ NOVA_CONSOLE_DATA_DIR: d }, '/nonexistent/userData'), d);
  assert.ok(existsSync(d));
  const e = join(tmp(), 'userData');
  assert.equal(resolveDataDir({}, e), e);
});
