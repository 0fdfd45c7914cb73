import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
// @peculiar/x509 loads tsyringe, which needs the Reflect metadata API before it is imported.
import 'reflect-metadata';

export interface CertificateFiles {
  cert: string;
  key: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/**
 * The demo servers' TLS identity: created once (RSA 2048, self-signed, ten years) and kept as cert.pem/key.pem in
 * the data folder, so clients that pin it after a first trust prompt keep trusting it across restarts.
 */
export function loadOrCreateCertificate(dataDir: string, commonName = 'Nova Console Viewer demo'): Promise<CertificateFiles> {
  // Servers started together in one process share one creation, so they never write two different pairs.
  const dir = resolve(dataDir);
  let pending = inFlight.get(dir);
  if (!pending) {
    pending = loadOrCreate(dir, commonName).finally(() => inFlight.delete(dir));
    inFlight.set(dir, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<CertificateFiles>>();

/** True when the key belongs to the certificate (a pair half-written by two processes is not reused). */
function matches(cert: string, key: string): boolean {
  try {
    const fromCert = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'der' });
    return Buffer.compare(fromCert, fromKey) === 0;
  } catch {
    return false;
  }
}

async function loadOrCreate(dataDir: string, commonName: string): Promise<CertificateFiles> {
  const certPath = join(dataDir, 'cert.pem');
  const keyPath = join(dataDir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    if (matches(cert, key)) return { cert, key };
  } catch {
    // not there yet: create below
  }
  const x509 = await import('@peculiar/x509');
  // @peculiar/x509 declares the DOM's Crypto; Node's webcrypto is that API under Node's own type names.
  x509.cryptoProvider.set(webcrypto as never);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']));
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName.replace(/[,=+<>#;"\\]/g, ' ')}`,
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + 10 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
  });
  const key = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const cert = certificate.toString('pem') + '\n';
  await mkdir(dataDir, { recursive: true });
  // Each file appears whole (write, then rename); a reader that still sees a mismatched pair regenerates it.
  await writeFile(`${keyPath}.tmp`, key, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, cert);
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  return { cert, key };
}
