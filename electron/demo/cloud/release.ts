// Which OpenStack release the demo cloud answers as. Two matter for consoles:
//  - 2023.1 (Antelope, Nova 27): the last release with the Hyper-V driver, so a cloud may mix Hyper-V hosts (RDP
//    consoles) with libvirt hosts (VNC). The demo's default.
//  - 2024.1 (Caracal, Nova 29): the Hyper-V driver and the RDP console are gone (wsgi.removed('29.0.0')); only the
//    libvirt hosts and their servers remain, and every RDP console request is a 400.
import { ApiVersion } from './microversions.ts';

export const DEMO_RELEASES = ['2023.1', '2024.1'] as const;
export type DemoRelease = (typeof DEMO_RELEASES)[number];

export interface ReleaseRules {
  release: DemoRelease;
  /** The compute API's maximum microversion. */
  maxVersion: ApiVersion;
  /** Whether Hyper-V hosts (and so RDP consoles) exist. */
  hyperV: boolean;
}

export function releaseRules(release: DemoRelease): ReleaseRules {
  switch (release) {
    case '2023.1':
      return { release, maxVersion: new ApiVersion(2, 95), hyperV: true };
    case '2024.1':
      // 2.96 (Nova 29) added pinned_availability_zone to the server views.
      return { release, maxVersion: new ApiVersion(2, 96), hyperV: false };
  }
}

/**
 * The body of a bare webob HTTPBadRequest(): Nova 29 raises it, with no explanation, for os-getRDPConsole and for
 * token lookups below microversion 2.31, so clients read webob's default sentence.
 */
export const WEBOB_BAD_REQUEST = 'The server could not comply with the request since it is either malformed or otherwise incorrect.';
