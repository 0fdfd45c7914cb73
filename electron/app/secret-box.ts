/**
 * Encrypts secrets before they touch the disk. Electron passes one backed by safeStorage (the OS keychain); browser
 * mode has none, so its secrets stay in memory for the run.
 */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}
