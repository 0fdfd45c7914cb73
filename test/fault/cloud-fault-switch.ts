// An HTTP front for the fake Keystone + Nova (test/electron/openstack/fake-openstack.ts) that the app talks to
// instead of the fake itself: it forwards every request, unless a fault is switched on for it, in which case it
// answers in the cloud's place (a 500 with OpenStack's error envelope) or never answers at all (an API process that
// is stuck: the client's own timeout must end the wait). Faults are switched on and off while the app runs, so a
// test can see the app fail and then recover. It also reports every answer it passed on, before the client gets it,
// so a test can act on what the cloud said (register a console token with the console proxy, as Nova's database
// tells its own proxies which tokens are valid).
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type CloudFault =
  /** Answer this instead of the cloud (JSON body). */
  | { kind: 'answer'; status: number; body: unknown }
  /** Read the request, then say nothing, ever (until the client gives up or the switch closes). */
  | { kind: 'hang' };

/** One request the switch saw, and what was done with it. */
export interface Exchange {
  method: string;
  /** Path and query, as the client sent them. */
  path: string;
  /** The status the client got; 0 for a request left hanging. */
  status: number;
  /** The answer's body (the cloud's, or the fault's). */
  body: string;
  faulted: boolean;
}

export interface CloudFaultSwitch {
  /** http://127.0.0.1:<port>: put it where the cloud's own base would be (auth_url, catalog). */
  readonly base: string;
  /** Every exchange so far, oldest first. */
  readonly exchanges: readonly Exchange[];
  /** Where requests are forwarded: the fake's base (set once the fake runs; the fake's catalog needs `base` first). */
  target: string;
  /**
   * Switches a fault on for the requests `match` accepts (method and path without the query); the returned function
   * switches it off. The fault set last wins when several match.
   */
  fail(match: (method: string, path: string) => boolean, fault: CloudFault): () => void;
  /** Switches every fault off; requests left hanging stay so until their client gives up. */
  clear(): void;
  /** Called with each answer the cloud gave, before it is passed on. */
  onAnswer(listener: (exchange: Exchange) => void): void;
  /** Stops listening and drops every connection (hanging ones included). */
  close(): Promise<void>;
}

/** Nova's error envelope (`{"computeFault": {"code": 500, "message": …}}`) with Nova's own words for an internal error. */
export function novaFault(status: number, message: string): CloudFault {
  const name = status >= 500 ? 'computeFault' : status === 404 ? 'itemNotFound' : 'badRequest';
  return { kind: 'answer', status, body: { [name]: { code: status, message } } };
}

/** Keystone's error envelope (`{"error": {"code", "message", "title"}}`). */
export function keystoneError(status: number, message: string, title: string): CloudFault {
  return { kind: 'answer', status, body: { error: { code: status, message, title } } };
}

/** Hop-by-hop headers are the front's own business, and the body is re-sent whole with its own length. */
const DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function passHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !DROPPED.has(k)) out[k] = v;
  return out;
}

export async function startCloudFaultSwitch(): Promise<CloudFaultSwitch> {
  const faults: Array<{ match: (method: string, path: string) => boolean; fault: CloudFault }> = [];
  const exchanges: Exchange[] = [];
  const listeners: Array<(exchange: Exchange) => void> = [];

  const reply = (res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer) => {
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    res.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, path: string) => {
    const upstream = request(
      `${sw.target}${path}`,
      { method: req.method, headers: { ...passHeaders(req.headers), 'Content-Length': String(body.length) } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(chunks);
          const exchange: Exchange = { method: req.method ?? '', path, status: answer.statusCode ?? 0, body: text.toString('utf8'), faulted: false };
          exchanges.push(exchange);
          for (const l of listeners) l(exchange);
          reply(res, answer.statusCode ?? 502, passHeaders(answer.headers), text);
        });
      },
    );
    // The fake is on loopback and lives as long as the test; if it is gone, the client sees the front hang up.
    upstream.on('error', () => res.destroy());
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const bare = path.split('?')[0].replace(/\/+$/, '') || '/';
      const hit = [...faults].reverse().find((f) => f.match(req.method ?? '', bare));
      if (!hit) return forward(req, res, Buffer.concat(chunks), path);
      if (hit.fault.kind === 'hang') {
        exchanges.push({ method: req.method ?? '', path, status: 0, body: '', faulted: true });
        return;
      }
      const text = JSON.stringify(hit.fault.body);
      exchanges.push({ method: req.method ?? '', path, status: hit.fault.status, body: text, faulted: true });
      reply(res, hit.fault.status, { 'Content-Type': 'application/json' }, Buffer.from(text));
    });
    // A client that gives up on a hanging request resets it: nothing to do, but it must not crash the test process.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const sw: CloudFaultSwitch = {
    base: `http://127.0.0.1:${port}`,
    exchanges,
    target: '',
    fail(match, fault) {
      const entry = { match, fault };
      faults.push(entry);
      return () => {
        const at = faults.indexOf(entry);
        if (at >= 0) faults.splice(at, 1);
      };
    },
    clear: () => void faults.splice(0),
    onAnswer: (listener) => void listeners.push(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return sw;
}
