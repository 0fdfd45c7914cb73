import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

// Installers cannot be built on these machines (no Electron download, AppImage/deb tools come from GitHub), so this
// packs the app with `electron-builder --dir` around a stand-in Electron folder and checks what the package holds.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'node_modules', 'electron-builder', 'cli.js');
const skip = existsSync(cli) ? undefined : 'electron-builder is not installed (npm ci installs it as a dev dependency)';

test('electron-builder.yml registers the nova-console scheme, .rdp files and the four installer targets', () => {
  const cfg = parseYaml(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
  assert.deepEqual(cfg.protocols[0].schemes, ['nova-console']);
  assert.equal(cfg.fileAssociations[0].ext, 'rdp');
  assert.deepEqual(cfg.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(cfg.win.target, ['nsis']);
  assert.deepEqual(cfg.mac.target, ['dmg']);
  assert.ok(cfg.linux.mimeTypes.includes('x-scheme-handler/nova-console'));
});

test('the packed app holds the bundled main process, preload and renderer, and no node_modules', { skip }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'nova-pack-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const { buildElectron } = await import('../../../scripts/build-electron.mjs');
  await buildElectron({ quiet: true });

  // The stand-in: what an unpacked Electron for Linux looks like to the packer (an executable named electron).
  const dist = join(work, 'electron-dist');
  mkdirSync(join(dist, 'resources'), { recursive: true });
  writeFileSync(join(dist, 'electron'), '#!/bin/sh\necho stand-in electron\n');
  chmodSync(join(dist, 'electron'), 0o755);
  writeFileSync(join(dist, 'version'), JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version);
  writeFileSync(join(dist, 'LICENSE'), 'stand-in');
  const out = join(work, 'out');

  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [cli, '--linux', 'dir', `-c.electronDist=${dist}`, `-c.directories.output=${out}`], {
      cwd: root,
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('exit', (c) => {
      if (c !== 0) console.log(log);
      resolve(c);
    });
  });
  assert.equal(code, 0);

  const unpacked = join(out, 'linux-unpacked');
  const exe = join(unpacked, 'nova-console-viewer');
  assert.ok(existsSync(exe), 'the executable is renamed after the app');
  assert.ok(statSync(exe).mode & 0o111);
  const asarPath = join(unpacked, 'resources', 'app.asar');
  const asar = createRequire(import.meta.url)('@electron/asar') as {
    listPackage(p: string): string[];
    extractFile(p: string, f: string): Buffer;
  };
  const files = asar.listPackage(asarPath).map((f) => f.replace(/\\/g, '/'));
  for (const f of ['/package.json', '/dist/electron/main.js', '/dist/electron/preload.cjs', '/dist/renderer/index.html', '/dist/renderer/main.js', '/dist/renderer/main.css']) {
    assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
  }
  assert.deepEqual(files.filter((f) => f.includes('node_modules') || f.endsWith('.map') || f.endsWith('.ts')), []);
  const pkg = JSON.parse(asar.extractFile(asarPath, 'package.json').toString());
  assert.equal(pkg.main, 'dist/electron/main.js');
  const html = asar.extractFile(asarPath, 'dist/renderer/index.html').toString();
  assert.match(html, /Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'/);
  const main = asar.extractFile(asarPath, 'dist/electron/main.js').toString();
  assert.match(main, /setAsDefaultProtocolClient/);
  assert.match(main, /requestSingleInstanceLock/);
  const preload = asar.extractFile(asarPath, 'dist/electron/preload.cjs').toString();
  assert.match(preload, /exposeInMainWorld\("novaConsole"/);
});
