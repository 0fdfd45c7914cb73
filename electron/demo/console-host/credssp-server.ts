import { createHash, X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { ProtocolError } from '../demo-desktop/bytes.ts';
import { LogonFailure, NtlmServer, type NtlmAccount } from './ntlm-server.ts';
import type { StreamReader } from './stream-reader.ts';
import { encodeTsRequest, parseTsRequest, tsRequestLength } from './tsrequest.ts';

// CredSSP acceptor (MS-CSSP 3.1.5) with NTLM: the console host is the CredSSP server for its demo desktops and
// checks the console credentials itself.

const STATUS_LOGON_FAILURE = 0xc000006d;
const CLIENT_BINDING = Buffer.from('CredSSP Client-To-Server Binding Hash\0', 'latin1');
const SERVER_BINDING = Buffer.from('CredSSP Server-To-Client Binding Hash\0', 'latin1');

/** The key CredSSP binds to: the subjectPublicKey bits of the TLS certificate (PKCS#1 RSAPublicKey for RSA). */
export function subjectPublicKey(certPem: string): Buffer {
  return new X509Certificate(certPem).publicKey.export({ type: 'pkcs1', format: 'der' });
}

/**
 * Runs the CredSSP exchange on a stream already inside TLS. Resolves with the authenticated user name; throws
 * LogonFailure (after telling the client) for wrong credentials, ProtocolError for anything malformed.
 */
export async function acceptCredssp(
  stream: Duplex,
  reader: StreamReader,
  account: NtlmAccount,
  publicKey: Buffer,
): Promise<string> {
  const next = async () => parseTsRequest(await reader.readMessage(tsRequestLength));
  const first = await next();
  if (!first.negoToken) throw new ProtocolError('CredSSP request without an NTLM token');
  // Answer with the client's version (up to 6): versions 5 and 6 bind the key through a hash with the client nonce.
  const version = Math.min(Math.max(first.version, 2), 6);
  const ntlm = new NtlmServer(account);
  stream.write(encodeTsRequest({ version, negoToken: ntlm.challengeFor(first.negoToken) }));
  const second = await next();
  if (!second.negoToken || !second.pubKeyAuth) throw new ProtocolError('CredSSP authenticate request is incomplete');
  try {
    ntlm.authenticate(second.negoToken);
  } catch (err) {
    if (err instanceof LogonFailure) stream.write(encodeTsRequest({ version, errorCode: STATUS_LOGON_FAILURE }));
    throw err;
  }
  const clientKeyProof = ntlm.unseal(second.pubKeyAuth);
  const useHash = version >= 5 && second.clientNonce !== undefined;
  let reply: Buffer;
  if (useHash) {
    const expected = createHash('sha256').update(CLIENT_BINDING).update(second.clientNonce!).update(publicKey).digest();
    if (!expected.equals(clientKeyProof)) throw new ProtocolError('CredSSP public key binding does not match this server');
    reply = createHash('sha256').update(SERVER_BINDING).update(second.clientNonce!).update(publicKey).digest();
  } else {
    if (!clientKeyProof.equals(publicKey)) throw new ProtocolError('CredSSP public key binding does not match this server');
    reply = Buffer.from(publicKey);
    reply[0] = (reply[0] + 1) & 0xff;
  }
  stream.write(encodeTsRequest({ version, pubKeyAuth: ntlm.seal(reply) }));
  const third = await next();
  if (!third.authInfo) throw new ProtocolError('CredSSP credentials message missing');
  ntlm.unseal(third.authInfo); // the delegated credentials are not needed: NTLM already proved them
  return ntlm.user;
}
