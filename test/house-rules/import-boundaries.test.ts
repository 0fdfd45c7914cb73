// The architecture's import rules (eslint.config.js, importBoundaries) catch every import form, and a file may
// import what its place in the tree allows. The probes are linted as if they stood at the given paths.
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
  overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } }, importBoundaries],
});

/** The lines of `code` (one import per line) that the boundary rules refuse, for a file at `path`. */
async function refusedLines(path: string, code: string): Promise<number[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], 'the probe parses');
  return result.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.line);
}

const EVERY_FORM = (target: string) => [
  `import { a } from '${target}';`,
  `import type { A } from '${target}';`,
  `export { a } from '${target}';`,
  `export * from '${target}';`,
  `export type { A } from '${target}';`,
  `const m = import('${target}');`,
  `const r = require('${target}');`,
  `import e = require('${target}');`,
  `type Q = import('${target}').A;`,
];

test('the page reaches nothing under electron/ but the contract, in any import form', async () => {
  for (const target of ['../../electron/api/handlers.ts', '../../electron/demo/cloud/index.ts', '../../electron/rdp/gateway.ts', '../../electron/relay/relay.ts', '../../electron/main/window.ts']) {
    const lines = EVERY_FORM(target);
    assert.deepEqual(await refusedLines('renderer/probe/probe.ts', lines.join('\n')), lines.map((_, i) => i + 1), target);
  }
});

test("the page imports the contract's types, not its values", async () => {
  const code = [`import type { ApiError } from '../../electron/common/contract.ts';`, `import { REQUEST_NAMES } from '../../electron/common/contract.ts';`].join('\n');
  assert.deepEqual(await refusedLines('renderer/probe/probe.ts', code), [2]);
});

test('the demo and the client it tests never import each other', async () => {
  const demoToClient = EVERY_FORM('../../openstack/compute.ts');
  assert.deepEqual(await refusedLines('electron/demo/cloud/probe.ts', demoToClient.join('\n')), demoToClient.map((_, i) => i + 1));
  const clientToDemo = EVERY_FORM('../demo/demo-desktop/session.ts');
  assert.deepEqual(await refusedLines('electron/rdp/probe.ts', clientToDemo.join('\n')), clientToDemo.map((_, i) => i + 1));
  // The console relay is client code too: it and the demo never import each other.
  assert.deepEqual(await refusedLines('electron/relay/probe.ts', clientToDemo.join('\n')), clientToDemo.map((_, i) => i + 1));
  const demoToRelay = EVERY_FORM('../relay/relay.ts');
  assert.deepEqual(await refusedLines('electron/demo/probe.ts', demoToRelay.join('\n')), demoToRelay.map((_, i) => i + 1));
  // Both may use the services' shared pieces.
  assert.deepEqual(await refusedLines('electron/demo/probe.ts', `import { AppError } from '../api/app-error.ts';`), []);
});

test('only electron/main/ and electron/preload/ import electron', async () => {
  const code = [`import { app } from 'electron';`, `const e = import('electron');`, `const r = require('electron');`].join('\n');
  for (const path of ['electron/app/probe.ts', 'electron/openstack/probe.ts', 'electron/relay/probe.ts', 'renderer/probe.ts', 'electron/common/probe.ts']) {
    assert.deepEqual(await refusedLines(path, code), [1, 2, 3], path);
  }
  assert.deepEqual(await refusedLines('electron/main/probe.ts', code), []);
  assert.deepEqual(await refusedLines('electron/preload/probe.ts', code), []);
});

test('the page may import the runtime-neutral protocol constants of electron/common/', async () => {
  assert.deepEqual(await refusedLines('renderer/probe/probe.ts', `import { WsaError } from '../../electron/common/rdcleanpath-codes.ts';`), []);
});
