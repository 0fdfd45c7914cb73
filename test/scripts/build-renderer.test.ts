import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRenderer } from '../../scripts/build-renderer.mjs';

test('index.html preloads exactly the chunks main.js imports, so they arrive with it rather than a round trip later', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'renderer-build-'));
  try {
    await buildRenderer({ quiet: true, outdir: dir });
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\.\/([^"]+)" \/>/g)].map((m) => m[1]).sort();
    // The bundle's static imports: `import{…}from"./chunks/…"` (or a bare `import"./chunks/…"`), before any code.
    const main = readFileSync(join(dir, 'main.js'), 'utf8');
    const imported = [...main.matchAll(/import(?:\{[^}]*\}from)?"\.\/(chunks\/[^"]+)"/g)].map((m) => m[1]).sort();
    assert.ok(imported.length > 0, 'main.js imports shared chunks (the RDP worker shares them)');
    assert.deepEqual(preloaded, imported);
    for (const chunk of preloaded) assert.ok(existsSync(join(dir, chunk)), `${chunk} exists`);
    // The preloads sit in the head, before the module script that needs them.
    assert.ok(html.indexOf('modulepreload') < html.indexOf('<script type="module"'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
