import { XMLParser } from 'fast-xml-parser';
import { AppError, excerpt } from './errors.ts';
import type { HttpResponse } from './http.ts';

/** An OpenStack error body: Nova's `{"itemNotFound": {"code", "message"}}` or Keystone's `{"error": {…}}`. */
export interface ErrorEnvelope {
  /** The envelope's key (`itemNotFound`, `badRequest`, `error`…). */
  name: string;
  message: string;
  code?: number;
}

function contentType(res: HttpResponse): string {
  return String(res.headers['content-type'] ?? '').toLowerCase();
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: true });

/**
 * The body as a plain object. JSON normally; the seed's XML shapes (`<console>…</console>`) become the same object
 * JSON would have given (`{console: {…}}`), with text values, so one reader handles both.
 * Returns undefined when the body is neither.
 */
export function parseBody(res: HttpResponse): Record<string, unknown> | undefined {
  const text = res.text.trim();
  const type = contentType(res);
  if (text === '') return undefined;
  if (type.includes('xml') || (!type.includes('json') && text.startsWith('<?xml'))) {
    try {
      const doc = xml.parse(text) as Record<string, unknown>;
      delete doc['?xml'];
      return isObject(doc) && Object.keys(doc).length > 0 ? doc : undefined;
    } catch {
      return undefined;
    }
  }
  try {
    const value = JSON.parse(text) as unknown;
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Reads an error envelope, if the body is one. */
export function parseErrorEnvelope(res: HttpResponse): ErrorEnvelope | undefined {
  const body = parseBody(res);
  if (!body) return undefined;
  const keys = Object.keys(body);
  if (keys.length !== 1) return undefined;
  const inner = body[keys[0]];
  if (!isObject(inner)) return undefined;
  const message = inner.message ?? inner.explanation;
  if (typeof message !== 'string') return undefined;
  const code = Number(inner.code);
  return { name: keys[0], message: message.trim(), code: Number.isFinite(code) ? code : undefined };
}

/** The server's own words for a failure: the envelope's message, or an excerpt of whatever it sent. */
export function serverSays(res: HttpResponse): string {
  const env = parseErrorEnvelope(res);
  return env ? env.message : excerpt(res.text);
}

/** A JSON body that must be an object, or a bad-response error naming who answered. */
export function requireBody(res: HttpResponse, who: string): Record<string, unknown> {
  const body = parseBody(res);
  if (!body) {
    throw new AppError('bad-response', `${who} answered ${res.status} with something that is not JSON: ${excerpt(res.text)}`);
  }
  return body;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A field of an untrusted answer as text: strings as they are, numbers and booleans written out (an XML answer
 * parses `<id>42</id>` as a number), anything else (objects, arrays, null) as `fallback`, never "[object Object]".
 */
export function scalarText(v: unknown, fallback = ''): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return fallback;
}
