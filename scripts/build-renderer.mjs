#!/usr/bin/env node
// Bundles the renderer with esbuild into dist/renderer/ (index.html, main.js, main.css with xterm.js's CSS, WASM assets).
// Usage: node scripts/build-renderer.mjs [--dev]   (--dev keeps names readable and adds source maps)
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join, relative, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_OUT = join(root, 'dist', 'renderer');

// The CSP lives in electron/app/csp.ts so the page, browser mode's header and Electron share one string.
register();
const { CSP } = await import('../electron/app/csp.ts');

/**
 * IronRDP's package carries its WebAssembly inline, as a base64 data: URL of ~6 MB in its JavaScript. This plugin
 * writes the module next to the bundle as a file of its own (ironrdp-<hash>.wasm) and points the package at it. The
 * RDP worker then fetches 4.5 MB of binary that Chromium compiles while it arrives (instantiateStreaming, served as
 * application/wasm), instead of parsing a 6 MB string and decoding it first; and the page's own bundle never holds
 * the module at all.
 */
function externalWasm(outdir) {
  return {
    name: 'ironrdp-wasm-file',
    setup(b) {
      b.onLoad({ filter: /iron-remote-desktop-rdp[\\/]iron-remote-desktop-rdp\.js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const m = /"data:application\/wasm;base64,([A-Za-z0-9+/=]+)"/.exec(source);
        // A release that no longer inlines its module is left as it is.
        if (!m) return { contents: source, loader: 'js' };
        const wasm = Buffer.from(m[1], 'base64');
        const name = `ironrdp-${createHash('sha256').update(wasm).digest('hex').slice(0, 12)}.wasm`;
        await writeFile(join(outdir, name), wasm);
        // Resolved against the script that runs it (the worker's chunk, in chunks/): the file is one folder up.
        const contents = source.slice(0, m.index) + `new URL("../${name}", import.meta.url).href` + source.slice(m.index + m[0].length);
        return { contents, loader: 'js' };
      });
    },
  };
}

/**
 * `<link rel="modulepreload">` for the chunks main.js imports statically. Without them the browser finds those chunks
 * only once main.js has arrived and been parsed, and fetches them one round trip later; with them all arrive together.
 */
function modulePreloads(metafile, out) {
  const [, main] = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint?.endsWith('renderer/main.tsx')) ?? [];
  const chunks = (main?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => relative(resolve(out), resolve(i.path)));
  return chunks.map((c) => `  <link rel="modulepreload" href="./${c}" />\n  `).join('');
}

export async function buildRenderer({ dev = false, quiet = false, outdir = DEFAULT_OUT } = {}) {
  const out = outdir;
  // From empty: chunks and modules are named by content hash, and the previous build's would stay beside the new.
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const result = await build({
    // rdp-worker runs IronRDP off the page's main thread (renderer/consoles/rdp/engine/ironrdp-worker.ts); it
    // shares the RDP module's chunk with the page's own fallback engine.
    entryPoints: { main: join(root, 'renderer', 'main.tsx'), 'rdp-worker': join(root, 'renderer', 'consoles', 'rdp', 'engine', 'ironrdp-worker.ts') },
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
    plugins: [externalWasm(out)],
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    logLevel: quiet ? 'silent' : 'warning',
    metafile: true,
  });
  // xterm.js's own stylesheet (serial tabs) goes first, so the app's rules can refine it; one file, loaded by the
  // page's <link>: the CSP allows stylesheets from the app only.
  const xtermCss = await readFile(join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), 'utf8');
  const css = await readFile(join(root, 'renderer', 'styles.css'), 'utf8');
  await writeFile(join(out, 'main.css'), `${xtermCss}\n${css}`);
  const html = (await readFile(join(root, 'renderer', 'index.html'), 'utf8')).replace('%CSP%', CSP).replace('</head>', `${modulePreloads(result.metafile, out)}</head>`);
  await writeFile(join(out, 'index.html'), html);
  return { outdir: out, files: Object.keys(result.metafile.outputs) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outdir } = await buildRenderer({ dev: process.argv.includes('--dev') });
  console.log(`renderer built into ${outdir}`);
}
