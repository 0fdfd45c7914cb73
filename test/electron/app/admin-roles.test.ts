import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdminRoles } from '../../../electron/app/admin-roles.ts';

const cloud = (name: string) => ({ name, label: name, authUrl: `http://${name}/v3`, isDemo: false });

test('a role is unknown until learnt, asked once per cloud, and announced once', async () => {
  const asked: string[] = [];
  const learnt: string[] = [];
  const roles = new AdminRoles(
    async (c) => {
      asked.push(c);
      return c === 'prod';
    },
    (c) => learnt.push(c),
  );
  assert.equal(roles.annotate(cloud('prod')).isAdmin, undefined);
  await Promise.all([roles.learn('prod'), roles.learn('prod')]);
  await roles.learn('lab');
  await roles.learn('prod');
  assert.deepEqual(asked, ['prod', 'prod', 'lab'], 'two pages at once may both ask; later pages do not');
  assert.deepEqual(learnt, ['prod', 'lab'], 'each cloud is announced once');
  assert.equal(roles.annotate(cloud('prod')).isAdmin, true);
  assert.equal(roles.annotate(cloud('lab')).isAdmin, false);
});

test('a failed sign-in leaves the role unknown, and the next page asks again', async () => {
  let fail = true;
  const learnt: string[] = [];
  const roles = new AdminRoles(
    async () => {
      if (fail) throw new Error('Keystone is down');
      return true;
    },
    (c) => learnt.push(c),
  );
  await roles.learn('prod');
  assert.equal(roles.annotate(cloud('prod')).isAdmin, undefined);
  assert.deepEqual(learnt, []);
  fail = false;
  await roles.learn('prod');
  assert.equal(roles.annotate(cloud('prod')).isAdmin, true);
});
