#!/usr/bin/env node
// `npm start`: the desktop app on the embedded demo cloud. Where no Electron runtime is installed it says so in one
// line and serves browser mode instead (it opens nothing: open the printed address).
// `npm run -s start:browser -- [--port P]`: browser mode directly; the first stdout line is JSON with `url`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const browserOnly = args.includes('--browser');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const { findElectronBinary } = await import('../electron/app/electron-runtime.ts');

if (!browserOnly) {
  const found = findElectronBinary(root);
  if ('path' in found) {
    const { buildElectron } = await import('../scripts/build-electron.mjs');
    await buildElectron({ quiet: true });
    const child = spawn(found.path, [root, ...args], { stdio: 'inherit' });
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  } else {
    process.stdout.write(`Electron cannot run here: ${found.missing}; serving browser mode instead.\n`);
    await runBrowser(true);
  }
} else {
  await runBrowser(false);
}

async function runBrowser(human) {
  const { buildRenderer } = await import('../scripts/build-renderer.mjs');
  await buildRenderer({ quiet: true });
  const { runBrowserHostCli } = await import('../electron/browser-host.ts');
  await runBrowserHostCli(args.filter((a) => a !== '--browser'), { version, human });
}
