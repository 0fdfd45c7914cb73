// What keystonemiddleware does in front of every compute route (the current API and the seed's routes alike), so
// both route tables import it from here rather than from each other.
import { header, sendJson, type Exchange } from './http.ts';
import { keystoneErrorBody, KEYSTONE_UNAUTHORIZED } from './errors.ts';
import type { AuthContext, Identity } from './keystone.ts';

/** keystonemiddleware's answer to a missing, unknown or expired token, in front of every compute API route. */
export function authenticate(ex: Exchange, identity: Identity): AuthContext | undefined {
  const caller = identity.validate(header(ex.req, 'X-Auth-Token'));
  if (!caller) {
    sendJson(ex.res, 401, keystoneErrorBody(401, KEYSTONE_UNAUTHORIZED), { 'WWW-Authenticate': identity.wwwAuthenticate });
  }
  return caller;
}
