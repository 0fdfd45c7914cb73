import type { Credentials } from '../common/contract.ts';
import type { CredentialService } from '../api/services.ts';

/**
 * The credentials a console session starts with: those remembered for its host:port, else the console credentials
 * set for the cloud that host belongs to (`cloudOf`, learnt when a console URL of that cloud was resolved). Saving
 * always goes to the per-host store.
 */
export function sessionCredentials(
  remembered: CredentialService,
  consoleCredentialsOf: (cloud: string) => Credentials | undefined,
  cloudOf: (endpoint: string) => string | undefined,
): CredentialService {
  return {
    async get(endpoint) {
      const own = await remembered.get(endpoint);
      if (own) return own;
      const cloud = cloudOf(endpoint);
      return cloud ? consoleCredentialsOf(cloud) : undefined;
    },
    save: (endpoint, credentials) => remembered.save(endpoint, credentials),
  };
}

/** Which cloud each console endpoint (host:port, any case) was resolved for. */
export class EndpointClouds {
  private readonly byEndpoint = new Map<string, string>();
  remember(endpoint: string, cloud: string): void {
    this.byEndpoint.set(endpoint.toLowerCase(), cloud);
  }
  cloudOf = (endpoint: string): string | undefined => this.byEndpoint.get(endpoint.toLowerCase());
}
