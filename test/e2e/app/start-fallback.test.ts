import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from '../../../electron/app/electron-runtime.ts';

// `npm start` where no Electron runtime can run: `node bin/start.mjs` spawned as a user would, on a private data
// folder, an empty clouds.yaml search path and free ports. It must say so in one line, then serve browser mode.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const found = findElectronBinary(root);
const skip = 'path' in found ? `npm start fallback not tested: an Electron runtime is installed here (${found.path}), so npm start runs it` : undefined;
if (skip) console.log(skip);

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'nova-start-')));
let child: ChildProcess | undefined;
after(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** GET on the loopback host, returning status and body (no proxy, no keep-alive). */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('npm start without Electron: one line says so, then browser mode serves the app; SIGTERM stops it', { skip }, async () => {
  const env: NodeJS.ProcessEnv = {};
  // Nothing of this machine's OpenStack environment: only the demo cloud.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
  Object.assign(env, {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    NOVA_CONSOLE_DATA_DIR: join(dir, 'data'),
    // The demo console host on any free port: never Hyper-V's 2179 that a running app may hold.
    NOVA_CONSOLE_DEMO_PORT: '0',
  });
  const proc = spawn(process.execPath, [join(root, 'bin', 'start.mjs'), '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));

  // The three lines: the fallback notice, the JSON line, the human hint. Bounded by the exit or 60 s (build included).
  const lines = await new Promise<string[]>((resolve, reject) => {
    const check = () => {
      const all = stdout.split('\n');
      if (all.length > 3) finish(all.slice(0, 3));
    };
    const timer = setTimeout(() => finish(undefined, 'no three lines on stdout within 60 s'), 60_000);
    const onExit = () => finish(undefined, 'start.mjs exited before serving');
    const finish = (value?: string[], why?: string) => {
      clearTimeout(timer);
      proc.stdout.off('data', check);
      proc.off('exit', onExit);
      if (value) resolve(value);
      else reject(new Error(`${why}; stdout: ${JSON.stringify(stdout)}; stderr: ${JSON.stringify(stderr.slice(-2000))}`));
    };
    proc.stdout.on('data', check);
    proc.once('exit', onExit);
    check();
  });

  assert.match(lines[0], /^Electron cannot run here: no Electron runtime is installed .*; serving browser mode instead\.$/);
  assert.equal(lines.filter((l) => /electron/i.test(l)).length, 1, `exactly one line about Electron: ${JSON.stringify(lines)}`);
  const info = JSON.parse(lines[1]) as { url: string; port: number; data_dir: string };
  assert.equal(info.data_dir, join(dir, 'data'));
  assert.ok(info.port > 0);
  assert.match(info.url, new RegExp(`^http://127\\.0\\.0\\.1:${info.port}/\\?secret=[^&]+$`));
  assert.equal(lines[2], `Open ${info.url} in a browser; Ctrl+C stops the app.`);

  // The printed address answers with the app's page; without the secret, nothing is served.
  const page = await get(info.url);
  assert.equal(page.status, 200);
  assert.match(page.body, /<title>Nova Console Viewer<\/title>/);
  assert.match(page.body, /<script type="module" src="\.\/main\.js"><\/script>/);
  const bare = await get(`http://127.0.0.1:${info.port}/`);
  assert.equal(bare.status, 401);

  proc.kill('SIGTERM');
  const end = await exited;
  assert.deepEqual(end, { code: 0, signal: null }, `stderr: ${stderr.slice(-2000)}`);
  await assert.rejects(get(info.url), /ECONNREFUSED/, 'the port is closed after the stop');
  // Nothing more was printed on stdout (no stack, no second notice).
  assert.equal(stdout.split('\n').filter(Boolean).length, 3, stdout);
});
