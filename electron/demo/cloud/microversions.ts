// Compute API microversions as Nova negotiates them: the version comes from "OpenStack-API-Version: compute X" or
// the legacy "X-OpenStack-Nova-API-Version: X", defaults to 2.1, "latest" means the maximum, a malformed string is a
// 400 and one outside [2.1, max] a 406. The maximum is the release's (2.95 in 2023.1, 2.96 in 2024.1).
import type { Headers } from './http.ts';
import { NovaError } from './errors.ts';

export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): ApiVersion | undefined {
    const m = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(text);
    return m ? new ApiVersion(Number(m[1]), Number(m[2])) : undefined;
  }

  compare(other: ApiVersion): number {
    return this.major - other.major || this.minor - other.minor;
  }

  /** True when this version is at least `text` ("2.6"). */
  atLeast(text: string): boolean {
    return this.compare(ApiVersion.parse(text)!) >= 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN_VERSION = new ApiVersion(2, 1);
/** 2.95 is the last microversion of Nova 27 (2023.1), the last release line that shipped the Hyper-V driver. */
export const MAX_VERSION = new ApiVersion(2, 95);

export const VERSION_HEADER = 'OpenStack-API-Version';
export const LEGACY_VERSION_HEADER = 'X-OpenStack-Nova-API-Version';

/** Finds the compute entry of OpenStack-API-Version ("compute 2.6, placement 1.10"), else the legacy header. */
function requestedVersionString(get: (name: string) => string | undefined): string | undefined {
  const modern = get(VERSION_HEADER);
  if (modern !== undefined) {
    for (const part of modern.split(',')) {
      const [service, ...rest] = part.trim().split(/\s+/);
      if (service?.toLowerCase() === 'compute' && rest.length > 0) return rest.join(' ');
    }
  }
  const legacy = get(LEGACY_VERSION_HEADER);
  return legacy?.trim();
}

/**
 * The version a request asks for. Throws NovaError 400/406 as Nova does; the 406 still echoes the requested
 * version in the response headers (Nova has already recorded it when the range check fails).
 */
export function negotiateVersion(get: (name: string) => string | undefined, max: ApiVersion = MAX_VERSION): ApiVersion {
  const text = requestedVersionString(get);
  if (text === undefined) return MIN_VERSION;
  if (text.toLowerCase() === 'latest') return max;
  const version = ApiVersion.parse(text);
  if (!version) {
    throw new NovaError(400, `API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
  }
  if (version.compare(MIN_VERSION) < 0 || version.compare(max) > 0) {
    throw new NovaError(
      406,
      `Version ${version.toString()} is not supported by the API. Minimum is ${MIN_VERSION.toString()} and maximum is ${max.toString()}.`,
      versionHeaders(version),
    );
  }
  return version;
}

/** What Nova adds to every versioned response, errors included. */
export function versionHeaders(version: ApiVersion): Headers {
  return {
    [VERSION_HEADER]: `compute ${version.toString()}`,
    [LEGACY_VERSION_HEADER]: String(version),
    Vary: `${VERSION_HEADER}, ${LEGACY_VERSION_HEADER}`,
  };
}
