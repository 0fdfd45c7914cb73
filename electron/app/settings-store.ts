import { join } from 'node:path';
import type { AppSettings, Credentials, SettingsPatch } from '../common/contract.ts';
import type { SettingsService } from '../api/services.ts';
import { readJsonFile, writeJsonFile } from '../storage/json-file.ts';
import type { SecretBox } from './secret-box.ts';

interface StoredCloudCredentials {
  username: string;
  domain?: string;
  /** Present only when a SecretBox sealed it. */
  sealedPassword?: string;
}

interface StoredSettings {
  hideDemoCloud?: boolean;
  consoleCredentials?: Record<string, StoredCloudCredentials>;
}

export interface SettingsStore extends SettingsService {
  /** The full console credentials of a cloud, password included (main process only). */
  consoleCredentials(cloud: string): Credentials | undefined;
  /** Fills a cloud's console credentials for this run only, unless the user saved their own (the demo cloud). */
  presetConsoleCredentials(cloud: string, credentials: Credentials): void;
  onChange(listener: (settings: AppSettings) => void): () => void;
}

/**
 * settings.json in the data folder. Passwords never leave the main process: the page sees `hasPassword`. They are
 * written to disk only sealed by a SecretBox; without one they live in memory for the run.
 */
export function createSettingsStore(dataDir: string, box?: SecretBox, log: (m: string) => void = () => undefined): SettingsStore {
  const path = join(dataDir, 'settings.json');
  const stored = readJsonFile<StoredSettings>(path, {}, { log });
  const passwords = new Map<string, string>();
  const presets = new Map<string, Credentials>();
  const listeners = new Set<(s: AppSettings) => void>();
  for (const [cloud, c] of Object.entries(stored.consoleCredentials ?? {})) {
    if (c.sealedPassword && box) {
      try {
        passwords.set(cloud, box.decrypt(c.sealedPassword));
      } catch {
        log(`The saved console password of cloud '${cloud}' cannot be decrypted on this machine; enter it again in Settings`);
      }
    }
  }

  const view = (): AppSettings => {
    const consoleCredentials: AppSettings['consoleCredentials'] = {};
    for (const [cloud, c] of presets) consoleCredentials[cloud] = { username: c.username, ...(c.domain ? { domain: c.domain } : {}), hasPassword: c.password !== '' };
    for (const [cloud, c] of Object.entries(stored.consoleCredentials ?? {})) {
      consoleCredentials[cloud] = { username: c.username, ...(c.domain ? { domain: c.domain } : {}), hasPassword: passwords.has(cloud) };
    }
    return { hideDemoCloud: stored.hideDemoCloud === true, consoleCredentials };
  };

  const save = () => writeJsonFile(path, stored);

  return {
    async get() {
      return view();
    },
    async update(patch: SettingsPatch) {
      if (patch.hideDemoCloud !== undefined) stored.hideDemoCloud = patch.hideDemoCloud;
      if (patch.consoleCredentials) {
        const { cloud, credentials } = patch.consoleCredentials;
        const all = (stored.consoleCredentials ??= {});
        if (credentials === null) {
          delete all[cloud];
          passwords.delete(cloud);
          presets.delete(cloud);
        } else {
          // An empty password keeps the saved one: the page never has it to send back.
          const password = credentials.password !== '' ? credentials.password : (passwords.get(cloud) ?? presets.get(cloud)?.password ?? '');
          if (password) passwords.set(cloud, password);
          else passwords.delete(cloud);
          all[cloud] = {
            username: credentials.username,
            ...(credentials.domain ? { domain: credentials.domain } : {}),
            ...(password && box ? { sealedPassword: box.encrypt(password) } : {}),
          };
        }
      }
      save();
      const next = view();
      for (const l of listeners) l(next);
      return next;
    },
    consoleCredentials(cloud) {
      const c = stored.consoleCredentials?.[cloud];
      if (c) return { username: c.username, password: passwords.get(cloud) ?? '', ...(c.domain ? { domain: c.domain } : {}) };
      return presets.get(cloud);
    },
    presetConsoleCredentials(cloud, credentials) {
      presets.set(cloud, credentials);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
