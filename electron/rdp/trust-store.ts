import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { AppError } from '../api/app-error.ts';
import type { CertificateInfo, TrustDecision, TrustPrompt } from '../common/contract.ts';
import type { TrustService } from '../api/services.ts';
import type { CertificateCheck } from './relay-session.ts';
import { readJsonFile, writeJsonFile } from '../storage/json-file.ts';

/**
 * Trust on first use for RDP server certificates: one pinned certificate per host:port, kept as JSON in the app's
 * data folder. RDP servers (Hyper-V hosts included) mostly present self-signed certificates, so pinning is what
 * protects the session; a certificate that changes blocks the session until the user decides.
 */

export function fingerprint(der: Uint8Array): string {
  return createHash('sha256')
    .update(der)
    .digest('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
}

/** What the trust prompt and the settings page show about a certificate. */
export function describeCertificate(endpoint: string, der: Uint8Array): CertificateInfo {
  const info: CertificateInfo = { endpoint, fingerprint: fingerprint(der), subject: '', issuer: '', validFrom: '', validTo: '' };
  try {
    const cert = new X509Certificate(der);
    info.subject = distinguishedName(cert.subject);
    info.issuer = distinguishedName(cert.issuer);
    info.validFrom = isoDate(cert.validFrom);
    info.validTo = isoDate(cert.validTo);
  } catch {
    // The server's TLS library accepted it, yet it does not parse here: show the fingerprint alone.
    info.subject = '(unreadable certificate)';
    info.issuer = '(unreadable certificate)';
  }
  return info;
}

const distinguishedName = (multiline: string) => multiline.split('\n').filter(Boolean).join(', ');
const isoDate = (text: string) => {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
};

export type TrustLookup =
  | { state: 'pinned'; info: CertificateInfo }
  | { state: 'first-use'; info: CertificateInfo }
  | { state: 'changed'; info: CertificateInfo; previous: CertificateInfo };

interface StoreFile {
  version: 1;
  pins: Record<string, CertificateInfo & { pinnedAt: string }>;
}

export class TrustStore {
  private pins: StoreFile['pins'] = {};
  /** Certificates the app itself vouches for (the offline demo's); never written to disk. */
  private readonly preTrusted = new Map<string, CertificateInfo>();

  /** `file`: the JSON file in the data folder; without it pins live in memory only. */
  constructor(
    private readonly file?: string,
    log?: (line: string) => void,
  ) {
    // A damaged file is set aside and every server is asked about again: nothing is trusted that was not pinned.
    if (file) this.pins = readJsonFile(file, {}, { accept: validPins, log });
  }

  lookup(endpoint: string, der: Uint8Array): TrustLookup {
    const info = describeCertificate(endpoint, der);
    const pinned = this.preTrusted.get(endpoint) ?? this.pins[endpoint];
    if (!pinned) return { state: 'first-use', info };
    if (pinned.fingerprint === info.fingerprint) return { state: 'pinned', info };
    return { state: 'changed', info, previous: stripPinnedAt(pinned) };
  }

  pin(endpoint: string, der: Uint8Array): CertificateInfo {
    const info = describeCertificate(endpoint, der);
    this.pins[endpoint] = { ...info, pinnedAt: new Date().toISOString() };
    this.save();
    return info;
  }

  /** Trusts a certificate for this run without asking (DER or PEM). */
  addPreTrusted(endpoint: string, cert: Uint8Array | string): CertificateInfo {
    const der = typeof cert === 'string' ? Buffer.from(new X509Certificate(cert).raw) : cert;
    const info = describeCertificate(endpoint, der);
    this.preTrusted.set(endpoint, info);
    return info;
  }

  list(): CertificateInfo[] {
    const all = new Map<string, CertificateInfo>();
    for (const [endpoint, pin] of Object.entries(this.pins)) all.set(endpoint, stripPinnedAt(pin));
    for (const [endpoint, info] of this.preTrusted) all.set(endpoint, info);
    return [...all.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  }

  revoke(endpoint: string): boolean {
    const had = endpoint in this.pins || this.preTrusted.has(endpoint);
    delete this.pins[endpoint];
    this.preTrusted.delete(endpoint);
    this.save();
    return had;
  }

  private save(): void {
    if (this.file) writeJsonFile(this.file, { version: 1, pins: this.pins } satisfies StoreFile);
  }
}

/** The pins of a store file this version reads (a pin without a well-formed SHA-256 fingerprint is dropped). */
function validPins(parsed: unknown): StoreFile['pins'] | undefined {
  const file = parsed as Partial<StoreFile> | null;
  if (file?.version !== 1 || typeof file.pins !== 'object' || file.pins === null) return undefined;
  const pins: StoreFile['pins'] = {};
  for (const [endpoint, pin] of Object.entries(file.pins)) {
    if (typeof pin?.fingerprint === 'string' && /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(pin.fingerprint)) pins[endpoint] = pin;
  }
  return pins;
}

function stripPinnedAt(pin: CertificateInfo & { pinnedAt?: string }): CertificateInfo {
  const { endpoint, fingerprint, subject, issuer, validFrom, validTo } = pin;
  return { endpoint, fingerprint, subject, issuer, validFrom, validTo };
}

interface PendingPrompt {
  prompt: TrustPrompt;
  der: Uint8Array;
  resolve(trusted: boolean): void;
}

/**
 * The TrustService of the contract and the gateway's certificate check in one: an unknown or changed
 * certificate becomes a `trust.prompt` event, and the session waits until `trust.decide` answers it (or the
 * client goes away).
 */
export class CertificateTrust implements TrustService {
  private readonly pending = new Map<string, PendingPrompt>();

  constructor(
    readonly store: TrustStore,
    private readonly emitPrompt: (prompt: TrustPrompt) => void,
  ) {}

  /** Plug into GatewayOptions.verifyCertificate. */
  readonly verify = (check: CertificateCheck): Promise<boolean> => {
    const found = this.store.lookup(check.endpoint, check.certificate);
    if (found.state === 'pinned') return Promise.resolve(true);
    if (check.signal.aborted) return Promise.resolve(false);
    const prompt: TrustPrompt = {
      promptId: randomUUID(),
      sessionId: check.sessionId,
      reason: found.state,
      certificate: found.info,
      previous: found.state === 'changed' ? found.previous : undefined,
    };
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.pending.delete(prompt.promptId);
        resolve(false);
      };
      check.signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(prompt.promptId, {
        prompt,
        der: check.certificate,
        resolve: (trusted) => {
          check.signal.removeEventListener('abort', onAbort);
          resolve(trusted);
        },
      });
      this.emitPrompt(prompt);
    });
  };

  /** Prompts still waiting for an answer (a window that reloads can show them again). */
  pendingPrompts(): TrustPrompt[] {
    return [...this.pending.values()].map((p) => p.prompt);
  }

  async decide(promptId: string, decision: TrustDecision): Promise<void> {
    const p = this.pending.get(promptId);
    if (!p) throw new AppError('not-found', 'That certificate question is no longer waiting (it was answered, or its session closed).');
    this.pending.delete(promptId);
    if (decision === 'trust-always') this.store.pin(p.prompt.certificate.endpoint, p.der);
    p.resolve(decision !== 'reject');
  }

  async list(): Promise<CertificateInfo[]> {
    return this.store.list();
  }

  async revoke(endpoint: string): Promise<void> {
    if (!this.store.revoke(endpoint)) throw new AppError('not-found', `No certificate is pinned for ${endpoint}.`);
  }
}
