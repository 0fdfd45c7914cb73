import { join } from 'node:path';
import type { Credentials } from '../common/contract.ts';
import type { CredentialService } from '../api/services.ts';
import { readJsonFile, writeJsonFile } from '../storage/json-file.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * Credentials remembered per `host:port`. With a SecretBox (Electron's safeStorage) they are sealed into
 * credentials.json; without one (browser mode) they are kept in memory for the run only. Host names are compared
 * without regard to case, as DNS does.
 */
export function createCredentialStore(dataDir: string, box?: SecretBox, log: (m: string) => void = () => undefined): CredentialService {
  const path = join(dataDir, 'credentials.json');
  const memory = new Map<string, Credentials>();
  if (box) {
    const sealed = readJsonFile<Record<string, string>>(path, {}, { log });
    for (const [endpoint, blob] of Object.entries(sealed)) {
      try {
        memory.set(endpoint.toLowerCase(), JSON.parse(box.decrypt(blob)) as Credentials);
      } catch {
        log(`Remembered credentials for ${endpoint} cannot be decrypted on this machine and were skipped`);
      }
    }
  }
  const persist = () => {
    if (!box) return;
    const out: Record<string, string> = {};
    for (const [endpoint, c] of memory) out[endpoint] = box.encrypt(JSON.stringify(c));
    writeJsonFile(path, out);
  };
  return {
    async get(endpoint) {
      const c = memory.get(endpoint.toLowerCase());
      return c && { ...c };
    },
    async save(endpoint, credentials) {
      const key = endpoint.toLowerCase();
      if (credentials === null) memory.delete(key);
      else memory.set(key, { username: credentials.username, password: credentials.password, ...(credentials.domain ? { domain: credentials.domain } : {}) });
      persist();
    },
  };
}
