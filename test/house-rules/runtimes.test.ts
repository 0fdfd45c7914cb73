// One TypeScript project per runtime: Node in a page file, or the DOM in a service, is a compile error. Each probe is
// compiled by the project of the folder it stands in (a throwaway project extending it, under test-output/).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
mkdirSync(join(root, 'test-output'), { recursive: true });
const scratch = mkdtempSync(join(root, 'test-output', 'runtimes-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** tsc's error codes for `code` compiled as a member of `project` (a tsconfig path from the root). */
function compileErrors(project: string, code: string): string[] {
  const dir = mkdtempSync(join(scratch, 'p-'));
  writeFileSync(join(dir, 'probe.ts'), code);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: relative(dir, join(root, project)), include: ['probe.ts'] }));
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    return [];
  } catch (err) {
    return [...String((err as { stdout?: string }).stdout).matchAll(/error (TS\d+)/g)].map((m) => m[1]);
  }
}

test('a page file cannot use Buffer, process or node:*', () => {
  assert.notDeepEqual(compileErrors('renderer/tsconfig.json', `export const b = Buffer.from('x');`), []);
  assert.notDeepEqual(compileErrors('renderer/tsconfig.json', `export const p = process.env;`), []);
  assert.notDeepEqual(compileErrors('renderer/tsconfig.json', `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;`), []);
  assert.deepEqual(compileErrors('renderer/tsconfig.json', `export const t = document.title;`), [], 'the DOM is there');
});

test('a service cannot use document or window', () => {
  assert.notDeepEqual(compileErrors('electron/tsconfig.json', `export const t = document.title;`), []);
  assert.notDeepEqual(compileErrors('electron/tsconfig.json', `export const w = window;`), []);
  assert.deepEqual(compileErrors('electron/tsconfig.json', `export const b = Buffer.from('x');`), [], 'Node is there');
});

test('the contract compiles in both runtimes', () => {
  const code = `import { REQUEST_NAMES } from '${join(root, 'electron/common/contract.ts')}';\nexport const n = REQUEST_NAMES;`;
  assert.deepEqual(compileErrors('renderer/tsconfig.json', code), []);
  assert.deepEqual(compileErrors('electron/tsconfig.json', code), []);
});
