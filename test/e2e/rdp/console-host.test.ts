import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromiumMissing } from '../../support/chromium.ts';
import { haveBinary } from '../../support/xvfb.ts';
import { startDemoConsoleHost, type DemoConsoleHost } from '../../../electron/demo/console-host/index.ts';
import type { RdpGrant } from '../../../electron/common/contract.ts';
import { canvasFrame, connectPage, distinctColours, startHarness, waitForFrame, type Harness, type Frame } from './harness.ts';

// IronRDP in Chromium through the real gateway to the emulated Hyper-V console host (the demo's VMConnect-order
// server, its own CredSSP endpoint): the VM id routes the session, NLA with the console credentials logs in, the
// VM's desktop (its name drawn on it) appears on the canvas.

const skip = chromiumMissing();
const VM = { id: '3c9e2f4a-1b7d-4e8a-9f0c-5d6e7f8a9b0c', name: 'ECHO-WEB', status: 'ACTIVE' };
const credentials = { username: 'console', password: 'Console-Pass1' };

let dataDir: string;
let host: DemoConsoleHost;
let h: Harness;

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'console-host-e2e-'));
  host = await startDemoConsoleHost({ servers: [VM], dataDir, port: 0, fps: 10, credentials, requireNla: true });
  h = await startHarness();
});

after(async () => {
  await h?.close();
  await host?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function grant(vmId = VM.id): RdpGrant {
  const g = h.gateway.grant({ host: '127.0.0.1', port: host.port, vmconnect: true, preConnectionBlob: vmId });
  return { protocol: 'rdp', sessionId: g.sessionId, title: VM.name, gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: true, preConnectionBlob: vmId };
}

const FULL = { x: 0, y: 0, w: 1024, h: 768 };

/** OCR of the lines the demo desktop writes under the VM's name (id, status, clock, typed keys). */
function ocr(f: Frame): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-ocr-'));
  try {
    const file = join(dir, 'f.png');
    writeFileSync(file, PNG.sync.write(f.png));
    const gray = join(dir, 'g.png');
    // The lines under the title, enlarged: Tesseract reads this pixel font best that way.
    execFileSync('/usr/bin/convert', [file, '-crop', '760x200+0+120', '+repage', '-colorspace', 'Gray', '-resize', '200%', gray], { timeout: 20_000 });
    return execFileSync('/usr/bin/tesseract', [gray, 'stdout'], { timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function changed(a: Frame, b: Frame, r: { x: number; y: number; w: number; h: number }): number {
  let n = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (a.at(x, y).some((v, i) => Math.abs(v - b.at(x, y)[i]) > 60)) n++;
  return n;
}

async function ocrUntil(page: import('playwright-core').Page, want: string): Promise<string> {
  let text = '';
  for (let i = 0; i < 10; i++) {
    text = ocr(await canvasFrame(page));
    if (squash(text).includes(want)) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  return text;
}

const squash = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

/** OCR sub-checks need Tesseract and ImageMagick; without them they are reported as skipped, with the reason. */
const ocrMissing =
  (!haveBinary('/usr/bin/tesseract') && '/usr/bin/tesseract is not installed (run scripts/install-test-deps.sh)') ||
  (!haveBinary('/usr/bin/convert') && 'ImageMagick (/usr/bin/convert) is not installed (run scripts/install-test-deps.sh)');

test('VMConnect with CredSSP to the emulated console host: the VM desktop renders', { skip }, async (t) => {
  const page = await h.newPage();
  try {
    const result = await connectPage(page, grant(), credentials);
    assert.deepEqual(result, { ok: true });
    const f = await waitForFrame(page, (f) => distinctColours(f, FULL) > 4);
    assert.ok(distinctColours(f, FULL) > 4, 'the canvas shows a flat colour');
    await t.test('OCR reads the VM desktop\'s STATUS ACTIVE line', { skip: ocrMissing }, async () => {
      const text = await ocrUntil(page, 'STATUSACTIVE');
      assert.ok(squash(text).includes('STATUSACTIVE'), `the VM's desktop is not on the canvas; OCR read: ${text}`);
    });
    // Keys typed on the focused canvas reach the VM through the VMConnect path: its "TYPED" line fills in.
    const typedLine = { x: 130, y: 240, w: 300, h: 36 };
    const before = await canvasFrame(page);
    await page.locator('#screen').click({ position: { x: 500, y: 500 } });
    await page.keyboard.type('vm42', { delay: 30 });
    const after = await waitForFrame(page, (f) => changed(f, before, typedLine) > 150);
    assert.ok(changed(after, before, typedLine) > 150, 'typed keys did not show on the VM desktop');
    // The click's position shows on the "MOUSE" line.
    const mouseLine = { x: 130, y: 274, w: 300, h: 32 };
    assert.ok(changed(after, before, mouseLine) > 100, 'the mouse position did not reach the VM');
  } finally {
    await page.close();
  }
});

test('the console host refuses a wrong password: the page says the login failed', { skip }, async () => {
  const page = await h.newPage();
  try {
    const result = await connectPage(page, grant(), { ...credentials, password: 'nope-Nope1' });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /login failed|wrong user name or password|refused the logon/);
  } finally {
    await page.close();
  }
});
