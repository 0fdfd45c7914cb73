#!/usr/bin/env node
// Bundles the renderer with esbuild into dist/renderer/ (index.html, main.js, main.css with xterm.js's CSS, WASM assets).
// Usage: node scripts/build-renderer.mjs [--dev]   (--dev keeps names readable and adds source maps)
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUT = join(root, 'dist', 'renderer');

// The CSP lives in electron/app/csp.ts so the page, browser mode's header and Electron share one string.
register();
const { CSP } = await import('../electron/app/csp.ts');

export async function buildRenderer({ dev = false, quiet = false, outdir = DEFAULT_OUT } = {}) {
  const out = outdir;
  await mkdir(out, { recursive: true });
  const result = await build({
    entryPoints: { main: join(root, 'renderer', 'main.tsx') },
    bundle: true,
    format: 'esm',
    // The RDP module (several MB with its WASM inlined) becomes its own chunk, loaded after the window shows.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: ['chrome120'],
    outdir: out,
    minify: !dev,
    sourcemap: dev ? 'linked' : false,
    jsx: 'automatic',
    loader: { '.wasm': 'file' },
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    logLevel: quiet ? 'silent' : 'warning',
    metafile: true,
  });
  // xterm.js's own stylesheet (serial tabs) goes first, so the app's rules can refine it; one file, loaded by the
  // page's <link>: the CSP allows stylesheets from the app only.
  const xtermCss = await readFile(join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), 'utf8');
  const css = await readFile(join(root, 'renderer', 'styles.css'), 'utf8');
  await writeFile(join(out, 'main.css'), `${xtermCss}\n${css}`);
  const html = (await readFile(join(root, 'renderer', 'index.html'), 'utf8')).replace('%CSP%', CSP);
  await writeFile(join(out, 'index.html'), html);
  return { outdir: out, files: Object.keys(result.metafile.outputs) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outdir } = await buildRenderer({ dev: process.argv.includes('--dev') });
  console.log(`renderer built into ${outdir}`);
}
