// The compute API's power actions and console logs as Nova answers them: 202 and a task_state for a moment, then
// the new vm_state/power_state; 409s worded from InstanceInvalidState; os-getConsoleOutput's length rules
// (_tail_log and the schema), the control characters the API strips, and a log that grows and records power events.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoCloud, type DemoCloud, type MockCloudServer } from '../../../../electron/demo/cloud/index.ts';
import { IDS, login, raw } from './support.ts';

const UBUNTU = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e01';
const DEBIAN = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e02';
const FEDORA_OFF = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e03';
const ROCKY_ADMIN = '7c3e9a1b-2d4f-4a6c-8e0b-1d3f5a7c9e11';

let cloud: DemoCloud;
let member: string;
let admin: string;
let compute: string;
const changes: MockCloudServer[] = [];

const call = (tok: string, method: string, path: string, body?: unknown, version = '2.1') =>
  raw(`${compute}${path}`, {
    method,
    headers: { 'X-Auth-Token': tok, 'Content-Type': 'application/json', 'OpenStack-API-Version': `compute ${version}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const act = (id: string, body: unknown, tok = member) => call(tok, 'POST', `/servers/${id}/action`, body);
const show = async (id: string, tok = member) => (await call(tok, 'GET', `/servers/${id}`)).json.server;
const log = async (id: string, length?: unknown, tok = member) => act(id, { 'os-getConsoleOutput': length === undefined ? {} : { length } }, tok);

async function until(id: string, check: (s: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const s = await show(id, admin);
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify([s.status, s['OS-EXT-STS:task_state']])}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const state = (s: Record<string, unknown>) => [s.status, s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:task_state'], s['OS-EXT-STS:power_state']];

before(async () => {
  // A twentieth of real time: transitions of 50-150 ms, still long enough to be seen in between.
  cloud = await startDemoCloud({ timeScale: 0.05, onServerStatus: (s) => changes.push(s) });
  member = await login(cloud.authUrl, 'demo', 'demo-member-secret', 'demo');
  admin = await login(cloud.authUrl, 'admin', 'demo-admin-secret', 'admin');
  compute = cloud.authUrl.replace('/identity/v3', '/compute/v2.1');
});
after(() => cloud.close());

describe('power actions', () => {
  it('stop: 202 with no body, powering-off while ACTIVE, then SHUTOFF/stopped/4; start brings it back', async () => {
    const res = await act(UBUNTU, { 'os-stop': null });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    assert.deepEqual(state(await show(UBUNTU)), ['ACTIVE', 'active', 'powering-off', 1]);
    assert.deepEqual(state(await until(UBUNTU, (s) => s.status === 'SHUTOFF', 'SHUTOFF')), ['SHUTOFF', 'stopped', null, 4]);
    assert.equal((await act(UBUNTU, { 'os-start': null })).status, 202);
    assert.deepEqual(state(await show(UBUNTU)), ['SHUTOFF', 'stopped', 'powering-on', 4]);
    assert.deepEqual(state(await until(UBUNTU, (s) => s.status === 'ACTIVE', 'ACTIVE')), ['ACTIVE', 'active', null, 1]);
    const seen = changes.filter((c) => c.id === UBUNTU).map((c) => `${c.status}/${c.task_state}`);
    assert.deepEqual(seen, ['ACTIVE/powering-off', 'SHUTOFF/null', 'SHUTOFF/powering-on', 'ACTIVE/null']);
  });

  it("answers 409 in Nova's words for a wrong vm_state and for a task in progress", async () => {
    const res = await act(FEDORA_OFF, { 'os-stop': null });
    assert.equal(res.status, 409);
    assert.deepEqual(res.json, { conflictingRequest: { code: 409, message: `Cannot 'stop' instance ${FEDORA_OFF} while it is in vm_state stopped` } });
    assert.equal((await act(DEBIAN, { pause: {} })).status, 202);
    const busy = await act(DEBIAN, { suspend: null });
    assert.equal(busy.json.conflictingRequest.message, `Cannot 'suspend' instance ${DEBIAN} while it is in task_state pausing`);
    const soft = await act(DEBIAN, { reboot: { type: 'SOFT' } });
    assert.equal(soft.json.conflictingRequest.message, `Cannot 'reboot' instance ${DEBIAN} while it is in task_state pausing`);
    assert.deepEqual(state(await until(DEBIAN, (s) => s.status === 'PAUSED', 'PAUSED')), ['PAUSED', 'paused', null, 3]);
    assert.equal((await act(DEBIAN, { 'os-stop': null })).json.conflictingRequest.message, `Cannot 'stop' instance ${DEBIAN} while it is in vm_state paused`);
    assert.equal((await act(DEBIAN, { unpause: null })).status, 202);
    assert.equal((await show(DEBIAN))['OS-EXT-STS:task_state'], 'unpausing');
    await until(DEBIAN, (s) => s.status === 'ACTIVE', 'ACTIVE');
    assert.equal((await act(DEBIAN, { resume: null })).json.conflictingRequest.message, `Cannot 'resume' instance ${DEBIAN} while it is in vm_state active`);
    // Stop checks the host first: a server that never got one is "not ready".
    assert.equal((await act(IDS.legacyError, { 'os-stop': null })).json.conflictingRequest.message, `Instance ${IDS.legacyError} is not ready`);
    assert.equal((await act(IDS.build, { pause: null })).json.conflictingRequest.message, `Instance ${IDS.build} in vm_state building`.replace(/^Instance (\S+) in (.*)$/, "Cannot 'pause' instance $1 while it is in $2"));
  });

  it('suspend: SUSPENDED with power_state 4 on libvirt (managed save), 7 on Hyper-V; resume', async () => {
    assert.equal((await act(DEBIAN, { suspend: null })).status, 202);
    assert.equal((await show(DEBIAN))['OS-EXT-STS:task_state'], 'suspending');
    assert.deepEqual(state(await until(DEBIAN, (s) => s.status === 'SUSPENDED', 'SUSPENDED')), ['SUSPENDED', 'suspended', null, 4]);
    assert.equal((await act(DEBIAN, { resume: null })).status, 202);
    assert.deepEqual(state(await until(DEBIAN, (s) => s.status === 'ACTIVE', 'ACTIVE')), ['ACTIVE', 'active', null, 1]);
    assert.equal((await act(IDS.web01, { suspend: null })).status, 202);
    assert.deepEqual(state(await until(IDS.web01, (s) => s.status === 'SUSPENDED', 'SUSPENDED')), ['SUSPENDED', 'suspended', null, 7]);
    assert.equal((await act(IDS.web01, { resume: null })).status, 202);
    await until(IDS.web01, (s) => s.status === 'ACTIVE', 'ACTIVE');
  });

  it('reboot: REBOOT/rebooting and HARD_REBOOT/rebooting_hard; a hard reboot starts a stopped server; the schema checks the type', async () => {
    assert.equal((await act(UBUNTU, { reboot: { type: 'soft' } })).status, 202);
    assert.deepEqual(state(await show(UBUNTU)), ['REBOOT', 'active', 'rebooting', 1]);
    // A hard reboot may interrupt a soft one.
    assert.equal((await act(UBUNTU, { reboot: { type: 'HARD' } })).status, 202);
    assert.deepEqual(state(await show(UBUNTU)), ['HARD_REBOOT', 'active', 'rebooting_hard', 1]);
    await until(UBUNTU, (s) => s.status === 'ACTIVE', 'ACTIVE');
    assert.equal((await act(FEDORA_OFF, { reboot: { type: 'SOFT' } })).json.conflictingRequest.message, `Cannot 'reboot' instance ${FEDORA_OFF} while it is in vm_state stopped`);
    assert.equal((await act(FEDORA_OFF, { reboot: { type: 'Hard' } })).status, 202);
    assert.deepEqual(state(await show(FEDORA_OFF)), ['SHUTOFF', 'stopped', 'rebooting_hard', 4]);
    assert.deepEqual(state(await until(FEDORA_OFF, (s) => s.status === 'ACTIVE', 'ACTIVE')), ['ACTIVE', 'active', null, 1]);
    const bad = await act(UBUNTU, { reboot: { type: 'warm' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.badRequest.message, "Invalid input for field/attribute type. Value: warm. 'warm' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
    assert.equal((await act(UBUNTU, { reboot: {} })).json.badRequest.message, "Invalid input for field/attribute reboot. Value: {}. 'type' is a required property");
  });

  it("lets members act on their own project's servers and admins on any; others' are 404", async () => {
    const other = await act(ROCKY_ADMIN, { pause: null });
    assert.equal(other.status, 404);
    assert.equal(other.json.itemNotFound.message, `Instance ${ROCKY_ADMIN} could not be found.`);
    assert.equal((await act(ROCKY_ADMIN, { pause: null }, admin)).status, 202);
    await until(ROCKY_ADMIN, (s) => s.status === 'PAUSED', 'PAUSED');
    assert.equal((await act(ROCKY_ADMIN, { unpause: null }, admin)).status, 202);
    await until(ROCKY_ADMIN, (s) => s.status === 'ACTIVE', 'ACTIVE');
  });
});

describe('console log (os-getConsoleOutput)', () => {
  it('returns the whole log without length, the last N lines with N (integer or digits), nothing with 0', async () => {
    const all = await log(ROCKY_ADMIN, undefined, admin);
    assert.equal(all.status, 200, all.text);
    const text: string = all.json.output;
    assert.match(text, /^\[ {4}0\.000000\] Linux version 5\.14\.0-427\.13\.1\.el9_4\.x86_64 /);
    assert.match(text, /cloud-init\[905\]: Cloud-init v\. 23\.4-7\.el9_4 finished at .* Datasource DataSourceOpenStackLocal/);
    assert.match(text, /\nrocky-9-monitor login: /);
    assert.deepEqual((await log(ROCKY_ADMIN, null, admin)).json.output.split('\n').slice(0, 3), text.split('\n').slice(0, 3));
    const lines = text.split('\n');
    const last = (await log(ROCKY_ADMIN, 3, admin)).json.output;
    assert.equal(last.split('\n').length, 3);
    assert.equal((await log(ROCKY_ADMIN, '3', admin)).json.output.split('\n').length, 3);
    assert.equal((await log(ROCKY_ADMIN, 0, admin)).json.output, '');
    assert.equal((await log(ROCKY_ADMIN, '-0', admin)).json.output, '');
    // _tail_log's lines[-int(length):] with -1 drops the first line; a negative string goes further (no minimum).
    const minusOne = (await log(ROCKY_ADMIN, -1, admin)).json.output.split('\n');
    assert.equal(minusOne[0], lines[1]);
    assert.equal((await log(ROCKY_ADMIN, '-3', admin)).json.output.split('\n')[0], lines[3]);
    assert.equal((await log(ROCKY_ADMIN, 100000, admin)).json.output.split('\n')[0], lines[0]);
  });

  it("strips the control characters Nova's API removes: ESC of the ANSI colours, CR of CR LF", async () => {
    const text: string = (await log(ROCKY_ADMIN, undefined, admin)).json.output;
    assert.match(text, /\n\[\[0;32m {2}OK {2}\[0m\] Started \[0;1;39msshd\.service\[0m - OpenSSH server daemon\.\n/);
    // eslint-disable-next-line no-control-regex -- the console's raw control bytes are what is checked
    assert.ok(!/[\x00-\x08\x0b-\x1f]/.test(text));
  });

  it("answers the schema's 400s for a length that is not an integer ≥ -1 or a string of digits", async () => {
    const cases: Array<[unknown, string]> = [
      [-2, 'Invalid input for field/attribute length. Value: -2. -2 is less than the minimum of -1'],
      ['abc', "Invalid input for field/attribute length. Value: abc. 'abc' does not match '^-?[0-9]+$'"],
      [1.5, "Invalid input for field/attribute length. Value: 1.5. 1.5 is not of type 'integer', 'string', 'null'"],
      [true, "Invalid input for field/attribute length. Value: True. True is not of type 'integer', 'string', 'null'"],
    ];
    for (const [length, message] of cases) {
      const res = await log(UBUNTU, length);
      assert.equal(res.status, 400, String(length));
      assert.equal(res.json.badRequest.message, message);
    }
    const extra = await act(UBUNTU, { 'os-getConsoleOutput': { lines: 5 } });
    assert.equal(extra.json.badRequest.message, "Invalid input for field/attribute os-getConsoleOutput. Value: {'lines': 5}. Additional properties are not allowed ('lines' was unexpected)");
  });

  it('records a stop (clean shutdown) and a start (a fresh boot that grows to the login prompt)', async () => {
    assert.equal((await act(ROCKY_ADMIN, { 'os-stop': null }, admin)).status, 202);
    await until(ROCKY_ADMIN, (s) => s.status === 'SHUTOFF', 'SHUTOFF');
    // The log ends with a line break, so its last "line" is empty.
    const stopped: string = (await log(ROCKY_ADMIN, 4, admin)).json.output;
    assert.match(stopped, /Finished \[0;1;39msystemd-poweroff\.service\[0m - System Power Off\.\n.*\n\[\s*\d+\.\d{6}\] reboot: Power down\n$/);
    assert.equal((await act(ROCKY_ADMIN, { 'os-start': null }, admin)).status, 202);
    await until(ROCKY_ADMIN, (s) => s.status === 'ACTIVE', 'ACTIVE');
    // The boot plays out over time: the log grows until the getty's login prompt.
    const sizes: number[] = [];
    const deadline = Date.now() + 5000;
    let text = '';
    while (!/reboot: Power down\n[\s\S]*rocky-9-monitor login: $/.test(text)) {
      assert.ok(Date.now() < deadline, `no login prompt after the boot: ${text.slice(-300)}`);
      text = (await log(ROCKY_ADMIN, undefined, admin)).json.output;
      sizes.push(text.length);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(new Set(sizes).size > 2, `the log grew in steps: ${sizes.join(',')}`);
    assert.match(text, /reboot: Power down\n\[ {4}0\.000000\] Linux version /);
  });

  it('gives Hyper-V servers their EMS/SAC banner, and 409 for a server without a host', async () => {
    assert.match((await log(IDS.kiosk)).json.output, /^\nComputer is booting, SAC started and initialized\.\n\nUse the "ch -\?" command/);
    const res = await log(IDS.build);
    assert.equal(res.status, 409);
    assert.equal(res.json.conflictingRequest.message, `Instance ${IDS.build} is not ready`);
  });

  it('answers 404 ConsoleNotAvailable for a libvirt domain without a console log file', async () => {
    const res = await log(FEDORA_OFF);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { itemNotFound: { code: 404, message: 'Guest does not have a console available.' } });
  });

  it('turns non-ASCII bytes of the log into U+FFFD, one per byte, as decode("ascii", "replace") does', async () => {
    // Debian's getty waits at its login prompt, which echoes what is typed.
    const guest = cloud.guest(DEBIAN)!;
    guest.input(Buffer.from('é\r', 'utf8'));
    const tail: string = (await log(DEBIAN, 3)).json.output;
    assert.ok(tail.includes('\ufffd\ufffd'), JSON.stringify(tail));
    assert.ok(!tail.includes('é'));
  });
});
