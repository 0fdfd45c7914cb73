import { test } from 'node:test';
import assert from 'node:assert/strict';
import { visibleClouds } from '../../../electron/app/visible-clouds.ts';

test('the demo cloud is listed unless the settings hide it; other clouds always are', () => {
  const all = [
    { name: 'demo', label: 'Demo cloud (offline)', authUrl: 'http://127.0.0.1/v3', isDemo: true },
    { name: 'prod', label: 'prod', authUrl: 'https://keystone/v3', isDemo: false },
  ];
  assert.deepEqual(visibleClouds(all, false).map((c) => c.name), ['demo', 'prod']);
  assert.deepEqual(visibleClouds(all, true).map((c) => c.name), ['prod']);
});
