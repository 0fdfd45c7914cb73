import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSigned as makeCert } from './test-cert.ts';
import { createOpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import type { CloudConfig } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import { startFakeCloud, type FakeCloud } from './fake-openstack.ts';

const dir = mkdtempSync(join(tmpdir(), 'openstack-tls-'));
const started: FakeCloud[] = [];
after(async () => {
  await Promise.all(started.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

async function tlsCloud(names: Array<{ type: 'dns' | 'ip'; value: string }>, expired = false) {
  const now = Date.now();
  const pair = await makeCert({ names, notBefore: new Date(now - (expired ? 30 : 1) * DAY), notAfter: new Date(now + (expired ? -2 : 30) * DAY) });
  const f = await startFakeCloud({ tls: pair });
  started.push(f);
  const caFile = join(dir, `ca-${started.length}.pem`);
  writeFileSync(caFile, pair.cert);
  return { f, caFile };
}

const base = (name: string, authUrl: string): CloudConfig => ({
  name,
  authType: 'password',
  auth: { auth_url: authUrl, username: 'alice', password: 'alice-pw', project_name: 'demo' },
});

async function tlsError(p: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'tls', err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

test('a self-signed Keystone: refused without cacert, trusted with it, accepted with verify false', async () => {
  const { f, caFile } = await tlsCloud([{ type: 'ip', value: '127.0.0.1' }]);
  const s = createOpenStackConsoles({
    clouds: [base('plain', f.authUrl), { ...base('pinned', f.authUrl), cacert: caFile }, { ...base('insecure', f.authUrl), verify: false }],
  });
  try {
    await tlsError(s.listServers({ cloud: 'plain' }), /^Cloud 'plain': TLS failure at https:\/\/127\.0\.0\.1:\d+\/identity\/v3\/auth\/tokens: the certificate is self-signed and not trusted \(set cacert/);
    assert.ok((await s.listServers({ cloud: 'pinned' })).servers.length > 0);
    assert.ok((await s.listServers({ cloud: 'insecure' })).servers.length > 0);
  } finally {
    s.close();
  }
});

test('a certificate for another host, an expired one, and https to a plain-http port are TLS errors', async () => {
  const other = await tlsCloud([{ type: 'dns', value: 'keystone.example.org' }]);
  const expired = await tlsCloud([{ type: 'ip', value: '127.0.0.1' }], true);
  const plain = await startFakeCloud();
  started.push(plain);
  const s = createOpenStackConsoles({
    clouds: [
      { ...base('other', other.f.authUrl), cacert: other.caFile },
      { ...base('expired', expired.f.authUrl), cacert: expired.caFile },
      base('plain', plain.authUrl.replace('http:', 'https:')),
    ],
  });
  try {
    await tlsError(s.listServers({ cloud: 'other' }), /the certificate does not name this host/);
    await tlsError(s.listServers({ cloud: 'expired' }), /the certificate has expired/);
    await tlsError(s.listServers({ cloud: 'plain' }), /does not speak TLS/);
  } finally {
    s.close();
  }
});
