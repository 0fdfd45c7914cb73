import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromiumMissing } from '../../support/chromium.ts';
import { DESKTOP, shadowMissing, startDesktop, startShadow, type Desktop, type ShadowServer } from '../../support/rdp-servers.ts';
import { haveBinary } from '../../support/xvfb.ts';
import { screenshot, startXfreerdp, startXvfb as startClientDisplay, XFREERDP } from '../../support/xfreerdp.ts';
import type { RdpGrant } from '../../../electron/common/contract.ts';
import { connectPage, share, startHarness, waitForFrame, type Harness } from './harness.ts';
import { startVmconnectDouble, type VmconnectDouble, type VmconnectRecord } from './vmconnect-double.ts';

// Hyper-V style consoles: the gateway must send the VM id as a pre-connection PDU and speak the VMConnect order
// (PCB, TLS, CredSSP, X.224 last). A stand-in console service in front of FreeRDP's shadow server accepts only
// that order; IronRDP through the gateway and the reference client (`xfreerdp /vmconnect`) must both get through
// it the same way and see the shared desktop.

const skip = shadowMissing() || chromiumMissing();
const skipXfreerdp = skip || (!haveBinary(XFREERDP) && `${XFREERDP} is not installed`) || (!haveBinary('/usr/bin/import') && 'ImageMagick import is not installed');
const NLA = { user: 'hvadmin', password: 'Hv-Pass1' };
const VM_ID = '9b0d2c4e-7a1f-4e3b-8c5d-1f2e3a4b5c6d';

let desktop: Desktop;
let nlaServer: ShadowServer;
let tlsServer: ShadowServer;
let hyperv: VmconnectDouble;
let hypervTls: VmconnectDouble;
let h: Harness;

before(async () => {
  if (skip) return;
  desktop = await startDesktop();
  nlaServer = await startShadow({ display: desktop.x.display, nla: NLA });
  tlsServer = await startShadow({ display: desktop.x.display });
  hyperv = await startVmconnectDouble({ backendPort: nlaServer.port, backendProtocols: 3, certPem: nlaServer.certPem(), keyPem: nlaServer.keyPem() });
  hypervTls = await startVmconnectDouble({ backendPort: tlsServer.port, backendProtocols: 1, certPem: tlsServer.certPem(), keyPem: tlsServer.keyPem() });
  h = await startHarness();
});

after(async () => {
  await h?.close();
  await hyperv?.close();
  await hypervTls?.close();
  await nlaServer?.stop();
  await tlsServer?.stop();
  await desktop?.stop();
});

function vmGrant(port: number): RdpGrant {
  const g = h.gateway.grant({ host: '127.0.0.1', port, vmconnect: true, preConnectionBlob: VM_ID });
  return { protocol: 'rdp', sessionId: g.sessionId, title: 'vm', gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: true, preConnectionBlob: VM_ID };
}

const ROOT_RECT = { x: 600, y: 400, w: 400, h: 300 };

function assertVmconnectOrder(rec: VmconnectRecord, withCredssp: boolean) {
  assert.equal(rec.pcb, VM_ID, 'the VM id reached the console service intact');
  assert.equal(rec.pcbBytes?.readUInt32LE(8), 2, 'pre-connection PDU version 2');
  assert.equal(rec.pcbBytes?.readUInt32LE(0), rec.pcbBytes?.length);
  if (withCredssp) {
    assert.deepEqual(rec.steps, ['pcb', 'tls', 'credssp', 'x224-in-tls', 'mcs']);
    assert.equal(rec.x224Protocols, 3, 'X.224 inside TLS asks for SSL|HYBRID like FreeRDP');
  } else {
    assert.deepEqual(rec.steps, ['pcb', 'tls', 'mcs']);
  }
}

test('IronRDP through the gateway, VMConnect order with CredSSP: the VM id arrives and the desktop renders', { skip }, async () => {
  const page = await h.newPage();
  try {
    const before = hyperv.records.length;
    const result = await connectPage(page, vmGrant(hyperv.port), { username: NLA.user, password: NLA.password });
    assert.deepEqual(result, { ok: true });
    const f = await waitForFrame(page, (f) => share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9);
    assert.ok(share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9, 'the shadow desktop did not render through the VMConnect path');
    assert.equal(hyperv.records.length, before + 1);
    assertVmconnectOrder(hyperv.records[before], true);
  } finally {
    await page.close();
  }
});

test('IronRDP through the gateway, VMConnect order with TLS only: no X.224 at all, the desktop renders', { skip }, async () => {
  const page = await h.newPage();
  try {
    const before = hypervTls.records.length;
    const result = await connectPage(page, vmGrant(hypervTls.port), undefined, false);
    assert.deepEqual(result, { ok: true });
    const f = await waitForFrame(page, (f) => share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9);
    assert.ok(share(f, DESKTOP.root.rgb, ROOT_RECT) > 0.9);
    assertVmconnectOrder(hypervTls.records[before], false);
  } finally {
    await page.close();
  }
});

test('a wrong password on the Hyper-V path fails with the authentication reason', { skip }, async () => {
  const page = await h.newPage();
  try {
    const grant = vmGrant(hyperv.port);
    const result = await connectPage(page, grant, { username: NLA.user, password: 'not-it-1' });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.message : '', /login failed|wrong user name or password|refused the logon/);
  } finally {
    await page.close();
  }
});

for (const variant of [
  { name: 'CredSSP', withCredssp: true, args: [`/u:${NLA.user}`, `/p:${NLA.password}`, '/sec:nla'] },
  { name: 'TLS only', withCredssp: false, args: ['/sec:tls'] },
]) {
  test(`xfreerdp /vmconnect (${variant.name}) takes the same path through the stand-in and shows the desktop`, { skip: skipXfreerdp }, async () => {
    const double = variant.withCredssp ? hyperv : hypervTls;
    const before = double.records.length;
    const display = await startClientDisplay();
    const dir = mkdtempSync(join(tmpdir(), 'vmconnect-'));
    const client = startXfreerdp(display.display, [
      `/vmconnect:${VM_ID}`,
      '/v:127.0.0.1',
      `/port:${double.port}`,
      '/cert:ignore',
      '/size:1024x768',
      '+clipboard',
      ...variant.args,
    ]);
    try {
      let rootShare = 0;
      for (let i = 0; i < 40 && rootShare < 0.5; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const file = join(dir, `shot${i}.png`);
        try {
          await screenshot(display.display, file);
        } catch {
          continue;
        }
        const png = PNG.sync.read(readFileSync(file));
        let hit = 0;
        let total = 0;
        for (let y = 0; y < png.height; y += 4) {
          for (let x = 0; x < png.width; x += 4) {
            const k = (png.width * y + x) * 4;
            total++;
            if (Math.abs(png.data[k] - DESKTOP.root.rgb[0]) < 12 && Math.abs(png.data[k + 1] - DESKTOP.root.rgb[1]) < 12 && Math.abs(png.data[k + 2] - DESKTOP.root.rgb[2]) < 12) hit++;
          }
        }
        rootShare = hit / total;
      }
      assert.ok(rootShare >= 0.5, `xfreerdp did not show the shadow desktop (root colour share ${rootShare.toFixed(2)}):\n${client.output().slice(-2000)}`);
      assertVmconnectOrder(double.records[before], variant.withCredssp);
    } finally {
      await client.stop();
      await display.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
