import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import WebSocket from 'ws';
import { RdpGateway } from '../../../electron/rdp/gateway.ts';
import { CertificateTrust, TrustStore, fingerprint } from '../../../electron/rdp/trust-store.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import type { TrustPrompt } from '../../../electron/common/contract.ts';
import { makeCert, startRdpDouble, type RdpDouble, type TestCert } from './rdp-double.ts';
import { openWs, requestPdu, sendRaw } from './gateway-client.ts';

let dir: string;
let cert: TestCert;
let other: TestCert;
let server: RdpDouble;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trust-'));
  cert = makeCert('trust-server');
  other = makeCert('impostor');
  server = await startRdpDouble({ order: 'standard', cert });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('fingerprint and certificate details follow the contract format', () => {
  const fp = fingerprint(cert.der);
  assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(fp.replaceAll(':', '').toLowerCase(), createHash('sha256').update(cert.der).digest('hex'));
  assert.equal(fp, new X509Certificate(cert.der).fingerprint256);
  const store = new TrustStore();
  const info = store.pin('h:1', cert.der);
  assert.equal(info.subject, 'CN=trust-server');
  assert.equal(info.issuer, 'CN=trust-server');
  assert.ok(Date.parse(info.validFrom) < Date.now() && Date.parse(info.validTo) > Date.now());
});

test('pins persist as JSON, a changed certificate is reported with the previous one, revoke forgets', () => {
  const file = join(dir, 'sub', 'trusted-certificates.json');
  const a = new TrustStore(file);
  assert.equal(a.lookup('srv:3389', cert.der).state, 'first-use');
  a.pin('srv:3389', cert.der);
  const b = new TrustStore(file);
  assert.equal(b.lookup('srv:3389', cert.der).state, 'pinned');
  const changed = b.lookup('srv:3389', other.der);
  assert.equal(changed.state, 'changed');
  assert.equal(changed.state === 'changed' && changed.previous.fingerprint, fingerprint(cert.der));
  assert.equal(b.lookup('srv:3390', cert.der).state, 'first-use', 'pins are per host:port');
  assert.deepEqual(b.list().map((c) => c.endpoint), ['srv:3389']);
  assert.ok(b.revoke('srv:3389'));
  assert.equal(new TrustStore(file).lookup('srv:3389', cert.der).state, 'first-use');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).version, 1);
});

test('an unreadable or foreign store file is set aside, not trusted and not fatal, and the log says so', () => {
  for (const [name, text] of [['broken.json', '{"version":1,"pins":'], ['foreign.json', '{"version":2,"pins":{}}']]) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const lines: string[] = [];
    const s = new TrustStore(file, (l) => lines.push(l));
    assert.equal(s.lookup('x:1', cert.der).state, 'first-use');
    assert.ok(readdirSync(dir).some((n) => n.startsWith(`${name}.damaged-`)), name);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /moved to .*damaged/);
  }
});

test('pre-trusted certificates are accepted without a prompt and are not written to disk', () => {
  const file = join(dir, 'pre.json');
  const s = new TrustStore(file);
  s.addPreTrusted('demo:3389', cert.cert);
  assert.equal(s.lookup('demo:3389', cert.der).state, 'pinned');
  assert.equal(new TrustStore(file).lookup('demo:3389', cert.der).state, 'first-use');
});

test('through the gateway: first use prompts, trust-always pins, a changed certificate blocks until rejected', async () => {
  const store = new TrustStore(join(dir, 'gw.json'));
  const prompts: TrustPrompt[] = [];
  let onPrompt: (p: TrustPrompt) => void = () => {};
  const trust = new CertificateTrust(store, (p) => {
    prompts.push(p);
    onPrompt(p);
  });
  const gateway = new RdpGateway({ verifyCertificate: trust.verify });
  const url = await gateway.listen();
  const attempt = async (answer: 'trust-once' | 'trust-always' | 'reject' | undefined) => {
    const g = gateway.grant({ host: '127.0.0.1', port: server.port, vmconnect: false });
    onPrompt = (p) => {
      assert.equal(p.sessionId, g.sessionId);
      if (answer) void trust.decide(p.promptId, answer);
    };
    const ws = await openWs(url);
    const result = await sendRaw(ws, requestPdu({ destination: g.destination, proxyAuth: g.token }));
    ws.close();
    return result.pdu!;
  };
  try {
    const endpoint = `127.0.0.1:${server.port}`;
    assert.ok((await attempt('trust-once')).serverCertChain);
    assert.equal(prompts.length, 1);
    assert.equal(prompts[0].reason, 'first-use');
    assert.equal(prompts[0].certificate.endpoint, endpoint);
    assert.equal(prompts[0].certificate.fingerprint, fingerprint(cert.der));
    // trust-once pinned nothing: asked again.
    assert.ok((await attempt('trust-always')).serverCertChain);
    assert.equal(prompts.length, 2);
    assert.ok((await attempt(undefined)).serverCertChain, 'pinned: no prompt');
    assert.equal(prompts.length, 2);
    assert.deepEqual((await trust.list()).map((c) => c.endpoint), [endpoint]);
    // The server now presents another certificate (simulated by pinning a different one).
    store.pin(endpoint, other.der);
    const refused = await attempt('reject');
    assert.equal(refused.error?.tlsAlert, 42);
    assert.equal(prompts[2].reason, 'changed');
    assert.equal(prompts[2].previous?.fingerprint, fingerprint(other.der));
    await assert.rejects(trust.decide(prompts[2].promptId, 'trust-once'), AppError);
    await trust.revoke(endpoint);
    await assert.rejects(trust.revoke(endpoint), AppError);
    // A client that leaves while the question is open ends the wait; the prompt disappears.
    const g = gateway.grant({ host: '127.0.0.1', port: server.port, vmconnect: false });
    const seen = new Promise<TrustPrompt>((r) => (onPrompt = r));
    const ws = new WebSocket(url);
    await new Promise((r) => ws.once('open', r));
    ws.send(requestPdu({ destination: g.destination, proxyAuth: g.token }));
    await seen;
    assert.equal(trust.pendingPrompts().length, 1);
    ws.terminate();
    for (let i = 0; i < 100 && trust.pendingPrompts().length; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(trust.pendingPrompts().length, 0);
  } finally {
    await gateway.close();
  }
});
