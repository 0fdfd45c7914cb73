import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ServerSummary } from '../../../electron/common/contract.ts';
import { createServerIndexer, filterServers, indexServers, searchServers, statusTone } from '../../../renderer/logic/filter-servers.ts';

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

test('addresses match in any case; an index answers every query the same as a one-off search', () => {
  const v6 = [s('id-1', 'db', ['FD12:3456::1'])];
  assert.deepEqual(filterServers(v6, 'fd12:3456').map((x) => x.name), ['db']);
  const index = indexServers(servers);
  for (const q of ['', 'win', 'WIN2019', '4f6b', '10.0.', 'nothing']) assert.deepEqual(searchServers(index, q), filterServers(servers, q), q);
  assert.equal(searchServers(index, ''), servers, 'an empty query keeps the list itself');
});

test('no match spans two fields: the end of a name and the start of an address are not one string', () => {
  const one = [s('abc', 'web', ['10.0.0.1'])];
  assert.deepEqual(filterServers(one, 'web10'), []);
  assert.deepEqual(filterServers(one, 'bweb'), []);
  assert.deepEqual(filterServers(one, 'web\u000010'), []);
  assert.deepEqual(filterServers(one, 'abc').map((x) => x.id), ['abc']);
});

test('an id whose lowercase is longer (İ becomes two characters) still matches by prefix only', () => {
  const odd = [s('İİab', 'xyz')];
  assert.deepEqual(filterServers(odd, 'xyz').map((x) => x.name), ['xyz']);
  assert.deepEqual(filterServers(odd, 'b'), [], 'the end of the id is not searched as if it were the name');
  assert.deepEqual(filterServers(odd, 'i̇i̇a').map((x) => x.name), ['xyz']);
});

test('an index built from the previous one: a page appended, servers replaced, the list reordered or shrunk', () => {
  const indexer = createServerIndexer();
  const first = servers.slice(0, 2);
  assert.equal(searchServers(indexer(first), 'jump').length, 0);
  assert.equal(indexer(first), indexer(first), 'the same list keeps its index');
  const grown = [...first, ...servers.slice(2)];
  assert.deepEqual(searchServers(indexer(grown), 'jump').map((x) => x.name), ['jump-host']);
  assert.deepEqual(searchServers(indexer(grown), 'win').map((x) => x.name), ['win2022-web-01', 'Win2019-SQL-01']);
  // A refresh: new objects (one renamed) in another order, then fewer of them.
  const refreshed = [s('9a8b7c6d-0003', 'jump-host'), s('4f6b1e2a-0001', 'web-renamed', ['10.0.0.11'])];
  assert.deepEqual(searchServers(indexer(refreshed), 'web').map((x) => x.name), ['web-renamed']);
  assert.deepEqual(searchServers(indexer(refreshed), 'win'), []);
  assert.deepEqual(searchServers(indexer(refreshed.slice(1)), 'jump'), []);
  assert.deepEqual(searchServers(indexer([]), 'web'), []);
});

test('the indexed search matches the plain definition (name contains, id starts with, an address contains; any case)', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', 'c', '1', '.', ':', '-', 'İ', 'ß', 'Σ', ' '), maxLength: 8 });
  const server = fc.record({ id: text, name: text, addresses: fc.array(text, { maxLength: 3 }) }).map((x) => ({ ...x, status: 'ACTIVE' }));
  const plain = (list: ServerSummary[], query: string) => {
    const q = query.trim().toLowerCase();
    if (q === '') return list;
    return list.filter((x) => x.name.toLowerCase().includes(q) || x.id.toLowerCase().startsWith(q) || x.addresses.some((a) => a.toLowerCase().includes(q)));
  };
  fc.assert(
    fc.property(fc.array(server, { maxLength: 12 }), text, (list, query) => {
      assert.deepEqual(searchServers(indexServers(list), query), plain(list, query));
    }),
    { numRuns: 2000 },
  );
  // The next list mixes servers of the first (anywhere) with new ones, as pages and refreshes do.
  const next = (first: ServerSummary[]) => fc.array(fc.oneof(server, ...(first.length ? [fc.constantFrom(...first)] : [])), { maxLength: 12 });
  fc.assert(
    fc.property(
      fc.array(server, { maxLength: 12 }).chain((first) => fc.tuple(fc.constant(first), next(first))),
      text,
      ([first, second], query) => {
        const indexer = createServerIndexer();
        indexer(first);
        assert.deepEqual(searchServers(indexer(second), query), plain(second, query));
      },
    ),
    { numRuns: 1000 },
  );
});

test('status tones', () => {
  assert.equal(statusTone('ACTIVE'), 'ok');
  assert.equal(statusTone('BUILD'), 'busy');
  assert.equal(statusTone('ERROR'), 'bad');
  assert.equal(statusTone('SHUTOFF'), 'off');
});
