import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createOpenStackConsoles } from '../../../electron/openstack/console-service.ts';
import type { CloudConfig } from '../../../electron/openstack/clouds-config.ts';
import { AppError } from '../../../electron/api/app-error.ts';
import { startFakeCloud, type FakeCloud, type FakeOptions } from './fake-openstack.ts';

// Details, power actions and console logs as the page asks for them, against a small fake Nova whose answers each
// test bends (the demo cloud's own behaviour is held to the real CLI in test/electron/demo).

const started: FakeCloud[] = [];
const services: Array<{ close(): void }> = [];
after(async () => {
  for (const s of services) s.close();
  await Promise.all(started.map((f) => f.close()));
});

const WEB = { id: '22222222-2222-4222-8222-222222222222', name: 'web-1', status: 'ACTIVE', project: 'demo' };

async function serviceWith(override: FakeOptions['override']) {
  const f = await startFakeCloud({ servers: [WEB], override });
  started.push(f);
  const cloud: CloudConfig = { name: 'c', authType: 'password', auth: { auth_url: f.authUrl, username: 'admin', password: 'admin-pw', project_name: 'admin' } };
  const s = createOpenStackConsoles({ clouds: [cloud], timeoutMs: 3000 });
  services.push(s);
  return { fake: f, s };
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AppError, `an AppError, got ${inspect(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return;
  }
  assert.fail(`expected a ${code} error`);
}

const envelope = (status: number, name: string, message: string) => ({ status, body: { [name]: { code: status, message } } });

test('each power action posts the body Nova documents, by name or id; 202 resolves', async () => {
  const seen: unknown[] = [];
  const { s } = await serviceWith((req, path, body) => {
    if (req.method === 'POST' && path.endsWith(`/servers/${WEB.id}/action`)) {
      seen.push(JSON.parse(body));
      return { status: 202 };
    }
    return undefined;
  });
  for (const action of ['start', 'stop', 'reboot-soft', 'reboot-hard', 'pause', 'unpause', 'suspend', 'resume'] as const) {
    await s.action('c', action === 'stop' ? WEB.id : 'web-1', action);
  }
  assert.deepEqual(seen, [
    { 'os-start': null },
    { 'os-stop': null },
    { reboot: { type: 'SOFT' } },
    { reboot: { type: 'HARD' } },
    { pause: null },
    { unpause: null },
    { suspend: null },
    { resume: null },
  ]);
});

test("Nova's refusals come back in Nova's words: 409 conflict, 403 forbidden", async () => {
  const { s } = await serviceWith((req, path, body) => {
    if (!path.endsWith('/action')) return undefined;
    if (body.includes('os-stop')) return envelope(409, 'conflictingRequest', `Cannot 'stop' instance ${WEB.id} while it is in vm_state stopped`);
    if (body.includes('pause')) return envelope(403, 'forbidden', "Policy doesn't allow os_compute_api:os-pause-server:pause to be performed.");
    return undefined;
  });
  await rejectsWith(s.action('c', 'web-1', 'stop'), 'conflict', /^Nova refused to stop server web-1: Cannot 'stop' instance .* while it is in vm_state stopped$/);
  await rejectsWith(s.action('c', 'web-1', 'pause'), 'forbidden', /does not allow this user to pause server web-1 \(403: Policy doesn't allow/);
  await rejectsWith(s.action('c', 'no-such', 'start'), 'not-found', /no server with the id or name 'no-such'/);
});

test('console log: length N or null, the output as Nova sent it; 501 and a guest without console are "unavailable"', async () => {
  const asked: unknown[] = [];
  let mode: 'ok' | '501' | '404' = 'ok';
  const { s } = await serviceWith((req, path, body) => {
    if (!path.endsWith('/action') || !body.includes('os-getConsoleOutput')) return undefined;
    asked.push(JSON.parse(body));
    if (mode === '501') return envelope(501, 'notImplemented', 'Feature not supported');
    if (mode === '404') return envelope(404, 'itemNotFound', 'Guest does not have a console available.');
    return { status: 200, body: { output: '\u001b[0;32m  OK  \u001b[0m] Started ssh.service\r\nlogin: ' } };
  });
  const last = await s.consoleLog('c', 'web-1', 50);
  assert.deepEqual(last, { output: '\u001b[0;32m  OK  \u001b[0m] Started ssh.service\r\nlogin: ', lines: 50 });
  assert.equal((await s.consoleLog('c', 'web-1')).lines, null);
  assert.deepEqual(asked, [{ 'os-getConsoleOutput': { length: 50 } }, { 'os-getConsoleOutput': { length: null } }]);
  mode = '501';
  await rejectsWith(s.consoleLog('c', 'web-1'), 'unavailable', /^Server web-1 keeps no console log: .*\(Nova: Feature not supported\)$/);
  mode = '404';
  await rejectsWith(s.consoleLog('c', 'web-1'), 'unavailable', /Guest does not have a console available/);
  await rejectsWith(s.consoleLog('c', 'web-1', 0), 'bad-request', /positive/);
});

test("details: Nova's record taken apart; without an image service the image keeps its id; a volume-booted server has no image", async () => {
  const record = (image: unknown) => ({
    id: WEB.id,
    name: 'web-1',
    status: 'SHUTOFF',
    'OS-EXT-STS:task_state': null,
    'OS-EXT-STS:vm_state': 'stopped',
    'OS-EXT-STS:power_state': 4,
    'OS-EXT-SRV-ATTR:host': 'compute-3',
    'OS-EXT-SRV-ATTR:hypervisor_hostname': 'compute-3.example.org',
    'OS-EXT-AZ:availability_zone': 'nova',
    addresses: {
      private: [
        { addr: '10.0.0.7', version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01' },
        { addr: '203.0.113.9', version: 4, 'OS-EXT-IPS:type': 'floating' },
        { addr: 'fd00::7', version: 6, 'OS-EXT-IPS:type': 'fixed' },
      ],
    },
    flavor: { original_name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 },
    image,
    created: '2026-11-30T08:00:00Z',
    tenant_id: 'demo-project',
    user_id: 'u1',
    key_name: null,
    locked: false,
  });
  let image: unknown = { id: 'img-1', links: [] };
  const { s } = await serviceWith((req, path) => {
    if (req.method === 'GET' && path.endsWith(`/servers/${WEB.id}`)) return { status: 200, body: { server: record(image) } };
    return undefined;
  });
  const d = await s.details('c', 'web-1');
  assert.equal(d.status, 'SHUTOFF');
  assert.equal(d.powerState, 4);
  assert.equal(d.vmState, 'stopped');
  assert.equal(d.taskState, null);
  assert.equal(d.host, 'compute-3');
  assert.deepEqual(d.flavor, { id: undefined, name: 'm1.small', vcpus: 1, ramMiB: 2048, diskGiB: 20 });
  assert.deepEqual(
    d.addresses.map((a) => `${a.network} ${a.address} v${a.version} ${a.type}`),
    ['private 10.0.0.7 v4 fixed', 'private 203.0.113.9 v4 floating', 'private fd00::7 v6 fixed'],
  );
  assert.equal(d.projectId, 'demo-project');
  assert.equal(d.keyName, null);
  assert.deepEqual(d.image, { id: 'img-1', name: undefined });
  image = '';
  assert.equal((await s.details('c', WEB.id)).image, null);
});
