import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCommandLine } from 'node:util';
import { attachWebSocketApi, checkLoopbackRequest, secretMatches, type WsTransport, type WsTransportOptions } from './api/ws-transport.ts';
import { createHandlers } from './api/handlers.ts';
import { composeApp, type ComposedApp } from './app/compose.ts';
import { BROWSER_MODE_CSP_HEADER } from './app/csp.ts';
import { resolveDataDir } from './app/data-dir.ts';
import { staticFile } from './app/static-files.ts';

/**
 * Browser mode: the renderer and the contract served on 127.0.0.1 to any browser, for machines without Electron and
 * for end-to-end tests. Everything is behind a per-run secret and Host/Origin checks, so neither another site open in
 * the same browser (cross-site requests, DNS rebinding) nor another local user without the secret can drive it.
 *
 * The secret reaches the page once, in the address printed at start (`/?secret=…`). That first load sets an
 * HttpOnly, SameSite=Strict cookie for the page's own files, and the page moves the secret into sessionStorage for
 * its API socket (renderer/api/connect.ts) and drops it from the address bar.
 */
export interface BrowserHostOptions {
  port?: number;
  /** Folder of the built renderer (scripts/build-renderer.mjs). */
  rendererDir?: string;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  version?: string;
  log?: (line: string) => void;
  /** Tests pass a fixed secret; a random one otherwise. */
  secret?: string;
  /** Compose options for tests (extra clouds, no demo, …). */
  compose?: Partial<Parameters<typeof composeApp>[0]>;
}

export interface BrowserHost {
  /** The address to open, secret included. */
  url: string;
  origin: string;
  port: number;
  secret: string;
  dataDir: string;
  app: ComposedApp;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_RENDERER_DIR = resolve(ROOT, 'dist', 'renderer');

export async function startBrowserHost(opts: BrowserHostOptions = {}): Promise<BrowserHost> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const rendererDir = resolve(opts.rendererDir ?? DEFAULT_RENDERER_DIR);
  const dataDir = opts.dataDir ?? resolveDataDir(opts.env ?? process.env);
  const secret = opts.secret ?? randomBytes(24).toString('base64url');

  const server = createServer();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const cookieName = `nova_console_${port}`;
  const guard: WsTransportOptions = { secret, allowedHosts: () => [`127.0.0.1:${port}`], allowedOrigins: () => [origin] };

  let app: ComposedApp;
  let transport: WsTransport;
  try {
    app = await composeApp({ mode: 'browser', dataDir, version: opts.version, log, env: opts.env, httpServer: server, allowedOrigins: [origin], ...opts.compose });
    transport = attachWebSocketApi(server, createHandlers(app.services), guard);
    app.bindEvents(transport.emit);
  } catch (err) {
    server.close();
    throw err;
  }

  server.on('request', (req, res) => void serve(req, res));

  async function serve(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const fromQuery = url.searchParams.get('secret');
    const fromCookie = readCookie(req.headers.cookie, cookieName);
    const given = fromQuery ?? fromCookie;
    const status = checkLoopbackRequest(req, guard, given);
    if (status !== 0) return refuse(res, status);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405);
    const file = await staticFile(rendererDir, url.pathname);
    if (!file) return refuse(res, 404);
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      'Content-Length': String(file.body.length),
      'Content-Security-Policy': BROWSER_MODE_CSP_HEADER,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    if (fromQuery && secretMatches(fromQuery, secret)) {
      headers['Set-Cookie'] = `${cookieName}=${secret}; Path=/; HttpOnly; SameSite=Strict`;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  return {
    url: `${origin}/?secret=${encodeURIComponent(secret)}`,
    origin,
    port,
    secret,
    dataDir,
    app,
    async close() {
      await transport.close();
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

const REASONS: Record<number, string> = {
  401: 'This address needs the secret the app printed when it started.',
  403: 'Requests from other sites are refused.',
  404: 'Not found.',
  405: 'Only GET is served here.',
  421: 'Open the app through 127.0.0.1 and the port it printed.',
};

function refuse(res: ServerResponse, status: number) {
  const body = (REASONS[status] ?? 'Refused.') + '\n';
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** `--port P` (0 or absent: a free port). `--browser` is bin/start.mjs's own switch, accepted and ignored here. */
export function parseHostArgs(argv: string[]): { port: number } {
  let values;
  try {
    ({ values } = parseCommandLine({ args: argv, options: { port: { type: 'string' }, browser: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new Error(`${(err as Error).message.split('\n')[0]} (usage: start:browser -- [--port P])`, { cause: err });
  }
  const value = values.port ?? '0';
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new Error(`--port needs a number from 0 to 65535, not ${JSON.stringify(value)}`);
  return { port: Number(value) };
}

export async function runBrowserHostCli(argv: string[], extra: { version?: string; human?: boolean } = {}): Promise<void> {
  let args: { port: number };
  try {
    args = parseHostArgs(argv);
  } catch (err) {
    process.stderr.write((err as Error).message + '\n');
    process.exit(2);
  }
  let host: BrowserHost;
  try {
    host = await startBrowserHost({ port: args.port, version: extra.version });
  } catch (err) {
    process.stderr.write(`Browser mode could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ url: host.url, port: host.port, data_dir: host.dataDir }) + '\n');
  if (extra.human) process.stdout.write(`Open ${host.url} in a browser; Ctrl+C stops the app.\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void host.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export type { Server };
