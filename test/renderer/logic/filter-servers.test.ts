import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerSummary } from '../../../electron/common/contract.ts';
import { filterServers, statusTone } from '../../../renderer/logic/filter-servers.ts';

const s = (id: string, name: string, addresses: string[] = [], status = 'ACTIVE'): ServerSummary => ({ id, name, status, addresses });
const servers = [
  s('4f6b1e2a-0001', 'win2022-web-01', ['10.0.0.11', '172.24.4.11']),
  s('4f6b1e2a-0002', 'Win2019-SQL-01', ['fd12:3456:789a::21']),
  s('9a8b7c6d-0003', 'jump-host', ['10.0.1.5']),
];

test('search matches name (any case), id prefix, or any address', () => {
  assert.deepEqual(filterServers(servers, 'sql').map((x) => x.name), ['Win2019-SQL-01']);
  assert.deepEqual(filterServers(servers, '9A8B').map((x) => x.name), ['jump-host']);
  assert.deepEqual(filterServers(servers, '172.24').map((x) => x.name), ['win2022-web-01']);
  assert.deepEqual(filterServers(servers, 'fd12:3456').map((x) => x.name), ['Win2019-SQL-01']);
  assert.deepEqual(filterServers(servers, '10.0.').map((x) => x.name), ['win2022-web-01', 'jump-host']);
  assert.equal(filterServers(servers, '  '), servers);
  assert.deepEqual(filterServers(servers, '0002'), [], 'an id matches by prefix only');
});

test('10,000 servers filter to the exact matches', () => {
  const many = Array.from({ length: 10_000 }, (_, i) => s(`id-${i}`, `scale-${String(i).padStart(5, '0')}`, [`10.${i >> 8}.${i & 255}.1`]));
  assert.equal(filterServers(many, 'scale-0999').length, 10);
  assert.deepEqual(filterServers(many, '10.39.15.1').map((x) => x.name), ['scale-09999']);
});

test('status tones', () => {
  assert.equal(statusTone('ACTIVE'), 'ok');
  assert.equal(statusTone('BUILD'), 'busy');
  assert.equal(statusTone('ERROR'), 'bad');
  assert.equal(statusTone('SHUTOFF'), 'off');
});
