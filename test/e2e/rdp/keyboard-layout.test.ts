import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumMissing } from '../../support/chromium.ts';
import { makeCert, startRdpDouble, type RdpDouble } from '../../electron/rdp/rdp-double.ts';
import { connectPage, startHarness, type Harness } from './harness.ts';

// Keyboard layout per session: what IronRDP 0.7.0 (the WASM client) lets us set, and what it sends. The client
// core data of the MCS Connect-Initial carries keyboardLayout (a Windows input locale id such as 0x407 for de-DE);
// the gateway relays it as plaintext, so a server double that records what it receives inside TLS sees it.
// IronRDP 0.7.0 has no way to choose it (no SessionBuilder method, no extension), so the app keeps scancodes
// (the server's layout) plus Unicode input; these tests notice when a release changes either fact.

const skip = chromiumMissing();
let h: Harness;
let server: RdpDouble;

before(async () => {
  if (skip) return;
  server = await startRdpDouble({ order: 'standard', cert: makeCert() });
  h = await startHarness();
});

after(async () => {
  await h?.close();
  await server?.close();
});

async function probe(page: Page, name: string, value: unknown): Promise<string[]> {
  const warnings: string[] = [];
  const onConsole = (m: { text(): string }) => {
    if (/Unknown extension/.test(m.text())) warnings.push(m.text());
  };
  page.on('console', onConsole);
  const result = await page.evaluate(([n, v]) => (window.rdpTest as { probeExtension(n: string, v: unknown): Promise<{ ok: boolean }> }).probeExtension(n, v), [name, value] as const);
  assert.equal(result.ok, true, 'the builder threw instead of warning');
  // Console messages arrive asynchronously; a bounded wait.
  for (let i = 0; i < 20 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  page.off('console', onConsole);
  return warnings;
}

test('IronRDP 0.7.0 has no keyboard layout setting: its builder ignores a keyboard_layout extension', { skip }, async () => {
  const page = await h.newPage();
  try {
    // A known extension is taken silently; the layout is not one (the WASM module names its extensions: pcb,
    // kdc_proxy_url, display_control, enable_credssp, outbound_message_size_limit, clipboard files, printing).
    assert.deepEqual(await probe(page, 'enable_credssp', true), []);
    const warnings = await probe(page, 'keyboard_layout', 0x407);
    assert.equal(warnings.length, 1, 'IronRDP now takes keyboard_layout: wire the per-session layout choice (renderer/consoles/rdp/engine/ironrdp.ts)');
    assert.match(warnings[0], /Unknown extension: keyboard_layout/);
  } finally {
    await page.close();
  }
});

/** keyboardLayout of TS_UD_CS_CORE (type 0xC001) in an MCS Connect-Initial: after version, size, depth, SAS. */
function keyboardLayoutOf(connectInitial: Buffer): number {
  for (let i = 0; i + 20 <= connectInitial.length; i++) {
    if (connectInitial.readUInt16LE(i) !== 0xc001) continue;
    const len = connectInitial.readUInt16LE(i + 2);
    const version = connectInitial.readUInt32LE(i + 4);
    // RDP versions are 0x0008000n; anything else is a chance match.
    if (len < 20 || version >>> 16 !== 0x8) continue;
    return connectInitial.readUInt32LE(i + 16);
  }
  throw new Error('no client core data in the Connect-Initial');
}

test('IronRDP 0.7.0 sends keyboardLayout 0 (the server\'s own layout) in the Connect-Initial, as the server sees it through the gateway', { skip }, async (t) => {
  const page = await h.newPage();
  try {
    const before = server.conversations.length;
    const g = h.gateway.grant({ host: '127.0.0.1', port: server.port, vmconnect: false });
    // The double echoes instead of answering, so the client gives up after sending its Connect-Initial.
    await connectPage(page, { sessionId: g.sessionId, title: 't', gatewayUrl: g.gatewayUrl, token: g.token, destination: g.destination, vmconnect: false }, undefined, false);
    const conv = server.conversations[before];
    assert.ok(conv, 'the connection did not reach the server');
    const first = Buffer.concat(conv.data);
    assert.equal(first[0], 0x03, 'the first bytes inside TLS are not a TPKT');
    const layout = keyboardLayoutOf(first);
    t.diagnostic(`IronRDP sends keyboardLayout 0x${layout.toString(16)}`);
    // 0: no layout named, the server uses its own (Windows: the user's or the system's default).
    assert.equal(layout, 0, 'IronRDP now names a keyboard layout: check whether it became configurable');
  } finally {
    await page.close();
  }
});
