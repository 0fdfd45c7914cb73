import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The architecture's import rules, checked on the source: the page reaches nothing of Node or Electron.
const root = fileURLToPath(new URL('../..', import.meta.url));
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
/** Every import/export-from statement: its specifier and whether it is type-only. */
const imports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms)].map((m) => ({ spec: m[3], typeOnly: !!m[2] }));

test('the renderer imports only types of the contract from electron/, and no Node built-ins', () => {
  const bad: string[] = [];
  let contractImports = 0;
  for (const file of walk(join(root, 'renderer'))) {
    for (const { spec, typeOnly } of imports(file)) {
      const rel = relative(root, file);
      if (spec.endsWith('electron/api/contract.ts') && typeOnly) contractImports++;
      if (spec.includes('electron/')) {
        if (!spec.endsWith('electron/api/contract.ts') || !typeOnly) bad.push(`${rel}: ${spec}`);
      }
      if (spec === 'electron' || spec.startsWith('node:') || ['fs', 'path', 'child_process', 'net', 'os'].includes(spec)) bad.push(`${rel}: ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(contractImports >= 5, `the scan found only ${contractImports} contract imports: is it reading the files?`);
});

test("only main.ts, preload.ts and window.ts import 'electron'", () => {
  const users = walk(join(root, 'electron'))
    .filter((f) => imports(f).some((i) => i.spec === 'electron'))
    .map((f) => relative(root, f))
    .sort();
  assert.deepEqual(users, ['electron/main.ts', 'electron/preload.ts', 'electron/window.ts']);
});
