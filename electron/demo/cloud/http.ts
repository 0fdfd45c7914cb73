// HTTP plumbing shared by the demo cloud's route modules: one request record, body reading with a size cap,
// and reply functions that always set Content-Type and Content-Length (real OpenStack services do, and clients rely on it).
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Headers = Record<string, string>;

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  body: Buffer;
  /** The base every absolute link in a response starts with, taken from the Host header as Nova does. */
  origin: string;
}

// Nova and Keystone refuse oversized bodies long before this; the cap only keeps a stray client from filling memory.
const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One header as a single string (repeated headers joined with ", " as HTTP allows). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

export function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Headers = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Headers = {}): void {
  send(res, status, 'application/json', JSON.stringify(value), headers);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

/** Splits a path below a prefix into decoded segments, ignoring a trailing slash. */
export function segments(pathname: string, prefix: string): string[] | undefined {
  if (pathname !== prefix && !pathname.startsWith(prefix + '/')) return undefined;
  const rest = pathname.slice(prefix.length).split('/').filter((s) => s !== '');
  try {
    return rest.map((s) => decodeURIComponent(s));
  } catch {
    return rest;
  }
}
