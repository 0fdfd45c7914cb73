#!/usr/bin/env node
// Bundles the Electron main process (ESM) and the preload (CommonJS, as sandboxed preloads must be) into
// dist/electron/, and the renderer into dist/renderer/. Usage: node scripts/build-electron.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildRenderer } from './build-renderer.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'electron');

export async function buildElectron({ quiet = false } = {}) {
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    external: ['electron', 'bufferutil', 'utf-8-validate'],
    logLevel: quiet ? 'silent' : 'warning',
    sourcemap: 'linked',
  };
  await build({
    ...common,
    entryPoints: [join(root, 'electron', 'main', 'main.ts')],
    outfile: join(out, 'main.js'),
    format: 'esm',
    // Bundled CommonJS dependencies (ws) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  await build({ ...common, entryPoints: [join(root, 'electron', 'preload', 'preload.ts')], outfile: join(out, 'preload.cjs'), format: 'cjs' });
  await buildRenderer({ quiet });
  return { outdir: out };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildElectron();
  console.log(`electron main, preload and renderer built into ${join(root, 'dist')}`);
}
