import type { Credentials } from '../api/contract.ts';
import type { CredentialService } from '../api/services.ts';

/**
 * Remembered RDP credentials for browser mode: per `host:port`, in this process's memory only, gone when the app
 * stops. (The desktop app keeps them in the OS keychain instead.)
 */
export class MemoryCredentials implements CredentialService {
  private readonly byEndpoint = new Map<string, Credentials>();

  async get(endpoint: string): Promise<Credentials | undefined> {
    const c = this.byEndpoint.get(endpoint.toLowerCase());
    return c ? { ...c } : undefined;
  }

  async save(endpoint: string, credentials: Credentials | null): Promise<void> {
    const key = endpoint.toLowerCase();
    if (credentials === null) this.byEndpoint.delete(key);
    else this.byEndpoint.set(key, { username: credentials.username, password: credentials.password, domain: credentials.domain || undefined });
  }
}
