import * as http from 'node:http';
import * as https from 'node:https';
import { AppError, displayUrl } from './errors.ts';

/** How one cloud's HTTPS is checked: openstacksdk's `verify` and `cacert`. */
export interface TlsSettings {
  /** false = accept any certificate (clouds.yaml `verify: false`, `OS_INSECURE`). */
  verify: boolean;
  /** PEM text of the CA bundle to trust instead of the system's (clouds.yaml `cacert`). */
  ca?: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON when not a string. */
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The URL that answered (after redirects). */
  url: string;
}

const MAX_BODY = 16 * 1024 * 1024;
const MAX_REDIRECTS = 3;

/**
 * A small HTTP(S) client for one cloud. node's fetch cannot take a per-request CA bundle or turn verification off
 * without a dispatcher package, so this uses node:http/https with an Agent that carries the cloud's TLS settings.
 * Every transport failure becomes an AppError naming the URL (never its query string or a console token).
 */
export class HttpClient {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(
    tls: TlsSettings,
    private readonly timeoutMs = 15_000,
  ) {
    this.httpsAgent = new https.Agent({ ca: tls.ca, rejectUnauthorized: tls.verify, keepAlive: false });
    this.httpAgent = new http.Agent({ keepAlive: false });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const res = await this.once({ ...req, url });
      const location = res.headers.location;
      // Only safe requests follow redirects (a compute root often redirects `/v2.1` to `/v2.1/`).
      if (req.method === 'GET' && [301, 302, 303, 307, 308].includes(res.status) && location && hop < MAX_REDIRECTS) {
        url = new URL(location, url).toString();
        continue;
      }
      return res;
    }
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private once(req: HttpRequest): Promise<HttpResponse> {
    let target: URL;
    try {
      target = new URL(req.url);
    } catch {
      return Promise.reject(new AppError('config', `Not a valid URL: ${JSON.stringify(req.url)}`));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return Promise.reject(new AppError('config', `Only http and https URLs are supported, not ${displayUrl(target)}`));
    }
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = { Accept: 'application/json', ...req.headers };
    if (body !== undefined) {
      headers['Content-Length'] = String(Buffer.byteLength(body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    const isHttps = target.protocol === 'https:';
    const mod = isHttps ? https : http;
    const shown = displayUrl(target);

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: AppError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        reject(err);
      };
      const request = mod.request(
        target,
        { method: req.method, headers, agent: isHttps ? this.httpsAgent : this.httpAgent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) {
              request.destroy();
              fail(new AppError('bad-response', `${shown} answered with more than ${MAX_BODY >> 20} MB`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (err) => fail(mapTransportError(err, shown, this.timeoutMs)));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(deadline);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), url: target.toString() });
          });
        },
      );
      // One deadline for the whole exchange: a server that accepts and then says nothing must not hang the app.
      const deadline = setTimeout(() => {
        request.destroy();
        fail(mapTransportError(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), shown, this.timeoutMs));
      }, this.timeoutMs);
      request.on('error', (err) => fail(mapTransportError(err, shown, this.timeoutMs)));
      if (body !== undefined) request.write(body);
      request.end();
    });
  }
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed and not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted self-signed CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is signed by a CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is signed by a CA that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate is signed by a CA that is not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  CERT_REVOKED: 'the certificate is revoked',
  CERT_SIGNATURE_FAILURE: 'the certificate signature is invalid',
};

const TLS_HINT = ' (set cacert for this cloud in clouds.yaml, or OS_CACERT)';

/** Turns a socket/TLS error into a sentence naming the URL. */
export function mapTransportError(err: unknown, shown: string, timeoutMs: number): AppError {
  const code = (err as { code?: string }).code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (TLS_REASONS[code]) {
    const hint = code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID' || code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? '' : TLS_HINT;
    return new AppError('tls', `TLS failure at ${shown}: ${TLS_REASONS[code]}${hint}`, { cause: err });
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|SSL routines/i.test(message)) {
    return new AppError('tls', `TLS failure at ${shown}: the server does not speak TLS there (is it http://?)`, { cause: err });
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError('unreachable', `connection refused at ${shown}`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError('unreachable', `host name not found for ${shown}`, { cause: err });
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return new AppError('unreachable', `no answer within ${timeoutMs < 1000 ? timeoutMs + ' ms' : Math.round(timeoutMs / 1000) + ' s'} from ${shown}`, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new AppError('unreachable', `connection reset by ${shown}`, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new AppError('unreachable', `no route to ${shown}`, { cause: err });
    default:
      return new AppError('unreachable', `cannot reach ${shown}: ${message.replace(/\s+/g, ' ').slice(0, 120)}`, { cause: err });
  }
}
