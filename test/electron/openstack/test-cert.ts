// Self-signed certificates for the TLS tests, made in-process so each test picks the names and dates it needs.
import { webcrypto } from 'node:crypto';

// @peculiar/x509 pulls in tsyringe, which insists on the Reflect metadata API (the reflect-metadata package is not
// installed). It only stores constructor metadata, so a per-object map is enough.
const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (key: unknown, target: object, prop?: unknown) => store.get(target)?.get(`${String(prop ?? '')}\u0000${String(key)}`);
  R.getOwnMetadata = own;
  R.getMetadata = (key: unknown, target: object, prop?: unknown) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const v = own(key, t, prop);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  R.defineMetadata = (key: unknown, value: unknown, target: object, prop?: unknown) => {
    if (!store.has(target)) store.set(target, new Map());
    store.get(target)!.set(`${String(prop ?? '')}\u0000${String(key)}`, value);
  };
  R.hasMetadata = (key: unknown, target: object, prop?: unknown) => (R.getMetadata as (...a: unknown[]) => unknown)(key, target, prop) !== undefined;
  R.metadata = (key: unknown, value: unknown) => (target: object, prop?: unknown) => (R.defineMetadata as (...a: unknown[]) => void)(key, value, target, prop);
}
const x509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type AltName = { type: 'dns' | 'ip'; value: string };

export async function makeSelfSigned(opts: { names: AltName[]; notBefore: Date; notAfter: Date }): Promise<{ cert: string; key: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01' + webcrypto.getRandomValues(new Uint8Array(8)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
    name: 'CN=test keystone',
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension(opts.names), new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem'), key };
}
