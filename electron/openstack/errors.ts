import { AppError } from '../api/app-error.ts';
import type { ErrorCode } from '../common/contract.ts';

export { AppError };
export type { ErrorCode };

/**
 * A short, printable piece of a response body for error messages: a Nova that answers HTML or garbage should be
 * recognisable without flooding a one-line error.
 */
export function excerpt(text: string, max = 80): string {
  // eslint-disable-next-line no-control-regex -- control characters are what an excerpt must not print
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return JSON.stringify(flat.length > max ? flat.slice(0, max) + '…' : flat);
}

/**
 * A URL fit for a message: no query string, no credentials, and console tokens in the path replaced, because a
 * console token grants access to a console until it expires.
 */
export function displayUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '(invalid URL)';
  }
  const path = u.pathname.replace(/(console-auth-tokens\/)[^/]+/g, '$1…');
  return `${u.protocol}//${u.host}${path}`;
}

/** `true` when err is an AppError with one of the given codes. */
export function isAppError(err: unknown, ...codes: ErrorCode[]): err is AppError {
  return err instanceof AppError && (codes.length === 0 || codes.includes(err.code));
}
