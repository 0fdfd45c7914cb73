import { isIP } from 'node:net';

/** host:port as both ends write it: an IPv6 address in brackets, so the port cannot be read as part of it. */
export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
