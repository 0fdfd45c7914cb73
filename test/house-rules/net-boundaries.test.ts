// electron/net is client code (eslint.config.js): the demo, which tests the client, never imports it, it never
// imports the demo, and it runs under plain Node. The probes are linted as if they stood at the given paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { importBoundaries } from '../../eslint.config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({
  cwd: root,
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, importBoundaries],
});

/** How many boundary errors one import line gets, for a file at `path`. */
async function refusals(path: string, line: string): Promise<number> {
  const [result] = await eslint.lintText(line, { filePath: `${root}${path}` });
  return result.messages.filter((m) => m.ruleId === 'boundaries/dependencies').length;
}

test('electron/net and the demo never import each other; net imports no Electron', async () => {
  assert.equal(await refusals('electron/demo/probe.ts', `import { connectTcp } from '../net/tcp.ts';`), 1);
  assert.equal(await refusals('electron/demo/cloud/probe.ts', `import type { NetError } from '../../net/errors.ts';`), 1);
  assert.equal(await refusals('electron/net/probe.ts', `import { startEmbeddedDemo } from '../demo/cloud/index.ts';`), 1);
  assert.equal(await refusals('electron/net/probe.ts', `import { app } from 'electron';`), 1);
});

test('the gateway, the relay and the services may import electron/net', async () => {
  for (const path of ['electron/rdp/probe.ts', 'electron/relay/probe.ts', 'electron/app/probe.ts']) {
    assert.equal(await refusals(path, `import { formatEndpoint } from '../net/address.ts';`), 0, path);
  }
});
