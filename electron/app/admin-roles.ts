import type { CloudSummary } from '../common/contract.ts';

/**
 * Whether the signed-in user is an admin on each cloud (it decides whether the sidebar offers "All projects"). It is
 * learnt from the Keystone token of the first server page, not when the clouds are listed, so a slow or unreachable
 * cloud never holds up the sidebar; `onLearnt` fires once per cloud when the answer arrives.
 */
export class AdminRoles {
  private readonly known = new Map<string, boolean>();

  constructor(
    private readonly isAdmin: (cloud: string) => Promise<boolean>,
    private readonly onLearnt: (cloud: string) => void,
  ) {}

  /** Asks the cloud once (after it was signed in to). A failed sign-in stays unknown: the next page asks again. */
  async learn(cloud: string): Promise<void> {
    if (this.known.has(cloud)) return;
    let admin: boolean;
    try {
      admin = await this.isAdmin(cloud);
    } catch {
      return; // the request that signed in reports the failure; the role is simply not known yet
    }
    if (this.known.has(cloud)) return; // another page got there first
    this.known.set(cloud, admin);
    this.onLearnt(cloud);
  }

  /** The summary with `isAdmin` where it is known. */
  annotate(cloud: CloudSummary): CloudSummary {
    return this.known.has(cloud.name) ? { ...cloud, isAdmin: this.known.get(cloud.name) } : cloud;
  }
}
