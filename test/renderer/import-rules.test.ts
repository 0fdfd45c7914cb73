import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

/**
 * Every module a file names, by TypeScript's own scanner: `import … from`, bare `import '…'`, `export … from`,
 * dynamic `import('…')` and `require('…')`, type-only ones included (a shared data shape is a shared bug too).
 */
const specifiers = (file: string): string[] => ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);

/** Relative specifiers resolved to repository paths (`electron/rdp/x.ts`); packages are left out. */
const localImports = (file: string): string[] =>
  specifiers(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(root, resolve(dirname(file), s)).split('\\').join('/'));

const MOCK = 'electron/demo/';
const CLIENT = ['electron/openstack/', 'electron/rdp/'];
const under = (path: string, dirs: string[]) => dirs.some((d) => path.startsWith(d));

test('the test doubles (electron/mock) and the client side (electron/openstack, electron/rdp) never import each other', () => {
  const files = walk(join(root, 'electron')).map((f) => ({ abs: f, rel: relative(root, f).split('\\').join('/') }));
  const bad: string[] = [];
  let scanned = 0;
  for (const { abs, rel } of files) {
    const forbidden = rel.startsWith(MOCK) ? CLIENT : under(rel, CLIENT) ? [MOCK] : undefined;
    if (!forbidden) continue;
    scanned++;
    for (const target of localImports(abs)) if (under(target, forbidden)) bad.push(`${rel} imports ${target}`);
  }
  assert.deepEqual(bad, []);
  assert.ok(scanned >= 30, `only ${scanned} files of electron/mock, electron/openstack and electron/rdp were scanned`);
});

test('nor through another module: what electron/mock reaches and what the client side reaches are disjoint in those trees', () => {
  // Follows relative imports transitively (electron/app may import both sides: it wires them together, it is not
  // reached from either).
  const reach = (start: string[]): Set<string> => {
    const seen = new Set<string>();
    const todo = [...start];
    while (todo.length) {
      const rel = todo.pop()!;
      if (seen.has(rel) || !/\.tsx?$/.test(rel)) continue;
      seen.add(rel);
      try {
        todo.push(...localImports(join(root, rel)));
      } catch {
        // A specifier that names no file fails the typecheck, not this rule.
      }
    }
    return seen;
  };
  const rels = walk(join(root, 'electron')).map((f) => relative(root, f).split('\\').join('/'));
  const fromMock = reach(rels.filter((r) => r.startsWith(MOCK)));
  const fromClient = reach(rels.filter((r) => under(r, CLIENT)));
  const crossed = [
    ...[...fromMock].filter((r) => under(r, CLIENT)).map((r) => `electron/mock reaches ${r}`),
    ...[...fromClient].filter((r) => r.startsWith(MOCK)).map((r) => `the client side reaches ${r}`),
  ];
  assert.deepEqual(crossed, []);
  assert.ok(fromMock.size >= 20 && fromClient.size >= 20, `reached ${fromMock.size} and ${fromClient.size} files: is the scan following imports?`);
});

test('the import scan sees every form of import', () => {
  const source = "import a from './a.ts';\nimport type { B } from './b.ts';\nexport { c } from './c.ts';\nimport './d.ts';\nconst e = await import('./e.ts');\n";
  const found = ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
  assert.deepEqual(found, ['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts']);
});
