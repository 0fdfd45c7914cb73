import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCredentialStore } from '../../../electron/app/credential-store.ts';
import { EndpointClouds, sessionCredentials } from '../../../electron/app/session-credentials.ts';

test("a session starts with the host's remembered credentials, else its cloud's console credentials, else none", async () => {
  const remembered = createCredentialStore('/nonexistent'); // no SecretBox: memory only, nothing is written
  const endpoints = new EndpointClouds();
  const perCloud: Record<string, { username: string; password: string }> = { lab: { username: 'console', password: 'c' } };
  const creds = sessionCredentials(remembered, (cloud) => perCloud[cloud], endpoints.cloudOf);

  assert.equal(await creds.get('hv1.lab:2179'), undefined, 'a host of no known cloud, nothing remembered');
  endpoints.remember('HV1.lab:2179', 'lab');
  assert.deepEqual(await creds.get('hv1.lab:2179'), { username: 'console', password: 'c' }, "the cloud's, whatever the case");
  await creds.save('hv1.lab:2179', { username: 'me', password: 'mine' });
  assert.deepEqual(await creds.get('hv1.lab:2179'), { username: 'me', password: 'mine' }, 'remembered for the host wins');
  await creds.save('hv1.lab:2179', null);
  assert.deepEqual(await creds.get('hv1.lab:2179'), { username: 'console', password: 'c' }, 'forgetting falls back again');
});
