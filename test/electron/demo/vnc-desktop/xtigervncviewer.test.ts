// The demo VNC server with a native client nobody here wrote: TigerVNC's xtigervncviewer under Xvfb, its screen
// read back by OCR. It shows the VM, takes typed text (as QEMU extended key events), exchanges clipboard text both
// ways, and shows the powered-off screen after the VM stops.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startVncDesktop, type VncDesktopServer } from '../../../../electron/demo/vnc-desktop/server.ts';
import { readScreenUntil, squash, startXvfb, type Xvfb } from '../../../support/xfreerdp.ts';
import type { Tracked } from '../../../support/xvfb.ts';
import { XCLIP, focusViewer, readClipboard, startViewer, viewerToolsMissing, writeClipboard, xdotool } from './xtigervncviewer.ts';

describe('demo VNC server with xtigervncviewer', { skip: viewerToolsMissing() }, () => {
  let xvfb: Xvfb;
  let server: VncDesktopServer;
  let viewer: Tracked | undefined;
  before(async () => {
    xvfb = await startXvfb({ width: 1280, height: 800 });
    server = await startVncDesktop({ vm: { id: '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01', name: 'ubuntu-24-04-web' }, fps: 2, log: () => {} });
  });
  after(async () => {
    await viewer?.stop();
    await server?.close();
    await xvfb?.stop();
  });

  it("shows the VM's name and status", async () => {
    viewer = startViewer(xvfb.display, server.host, server.port);
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('UBUNTU2404WEB') && squash(s).includes('STATUSACTIVE'));
    assert.ok(squash(text).includes('UBUNTU2404WEB'), `OCR read: ${text}\nviewer: ${viewer.output()}`);
    assert.ok(squash(text).includes('STATUSACTIVE'), `OCR read: ${text}`);
    const session = [...server.sessions][0];
    assert.equal(session.version, '3.8');
    assert.ok(session.encodings.indexOf(16) >= 0, 'the viewer lists ZRLE');
  });

  it('takes typed text and shows it', async () => {
    await focusViewer(xvfb.display);
    await xdotool(xvfb.display, ['type', '--delay', '40', 'Hello Demo']);
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('TYPEDHELLODEMO'));
    assert.equal(server.desktop.typed, 'Hello Demo');
    assert.ok(squash(text).includes('TYPEDHELLODEMO'), `OCR read: ${text}`);
    // TigerVNC sends QEMU extended key events once the server acknowledges them.
    assert.ok([...server.sessions][0].encodings.includes(-258));
  });

  it("puts the VM's clipboard (Ctrl+C of the typed line) on the X clipboard", { skip: existsSync(XCLIP) ? false : `${XCLIP} not installed` }, async () => {
    await xdotool(xvfb.display, ['key', 'ctrl+c']);
    let clip = '';
    for (let i = 0; i < 50 && clip !== 'Hello Demo'; i++) {
      clip = await readClipboard(xvfb.display);
      if (clip !== 'Hello Demo') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(clip, 'Hello Demo');
  });

  it('sends the X clipboard to the VM, which shows it on its CLIPBOARD line', { skip: existsSync(XCLIP) ? false : `${XCLIP} not installed` }, async () => {
    await writeClipboard(xvfb.display, 'Hello again');
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('HELLOAGAIN'));
    assert.equal(server.desktop.pasted, 'Hello again');
    assert.ok(squash(text).includes('HELLOAGAIN'), `OCR read: ${text}`);
  });

  it('shows a powered-off screen for a SHUTOFF VM', async () => {
    server.desktop.setStatus('SHUTOFF');
    const text = await readScreenUntil(xvfb.display, (s) => squash(s).includes('POWEREDOFF'));
    assert.ok(squash(text).includes('POWEREDOFF'), `OCR read: ${text}`);
    assert.ok(squash(text).includes('STATUSSHUTOFF'), `OCR read: ${text}`);
  });
});
