// Request functions for the demo cloud's tests: raw HTTP requests written by hand (node:http, so GET may carry a body as the seed
// writes it), and Keystone logins built from the documented request body.
import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body, 'utf8');
    const req = httpRequest(
      url,
      {
        method: opts.method ?? 'GET',
        headers: { ...(opts.headers ?? {}), ...(body ? { 'Content-Length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

export function passwordBody(username: string, password: string, project?: string): string {
  const auth: Record<string, unknown> = {
    identity: { methods: ['password'], password: { user: { name: username, domain: { name: 'Default' }, password } } },
  };
  if (project) auth.scope = { project: { name: project, domain: { name: 'Default' } } };
  return JSON.stringify({ auth });
}

export async function login(authUrl: string, username: string, password: string, project?: string): Promise<string> {
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: passwordBody(username, password, project),
  });
  if (res.status !== 201) throw new Error(`login as ${username} answered ${res.status}`);
  return res.headers.get('x-subject-token')!;
}

export const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Fixed ids of the demo data, as the demo cloud documents them. */
export const IDS = {
  web01: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a01',
  build: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a04',
  kiosk: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a05',
  legacyError: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a06',
  unicode: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a07',
  paused: '4f6b1e2a-8c3d-4e5f-9a0b-1c2d3e4f5a08',
  adDc: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01',
  adminError: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c04',
  scheduling: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c05',
};
