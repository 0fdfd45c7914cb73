import { isObject, scalarText } from './envelope.ts';

/**
 * The highest compute microversion this client has been written against: Nova 2023.1 (the last release that could
 * serve RDP consoles, through Hyper-V) tops out at 2.95. Nothing this client reads changed after it.
 */
export const CLIENT_MAX_MICROVERSION = '2.95';
/** Below this, RDP console URLs come from the os-getRDPConsole server action; from it on, from remote-consoles. */
export const REMOTE_CONSOLES_MICROVERSION = '2.6';
/** From this on, console token lookup answers for every console type (below: rdp-html5 only). */
export const TOKEN_LOOKUP_MICROVERSION = '2.31';

export type Microversion = readonly [number, number];

export function parseMicroversion(text: unknown): Microversion | undefined {
  const m = /^\s*(\d+)\.(\d+)\s*$/.exec(scalarText(text));
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function compareMicroversions(a: Microversion, b: Microversion): number {
  return a[0] - b[0] || a[1] - b[1];
}

export const formatMicroversion = (v: Microversion): string => `${v[0]}.${v[1]}`;

/** What one compute endpoint supports. `max` undefined means no microversions at all (the v2.0 API). */
export interface ComputeVersion {
  /** `v2.1`, `v2.0`, `v3.0`… */
  id?: string;
  min?: Microversion;
  max?: Microversion;
}

/**
 * Reads a compute version document: `{"version": {...}}` from a versioned endpoint, or `{"versions": [...]}` from
 * the root, where the entry matching the endpoint's version segment (else the CURRENT one) is taken.
 */
export function readVersionDocument(body: Record<string, unknown>, endpoint: string): ComputeVersion | undefined {
  let entry: Record<string, unknown> | undefined;
  if (isObject(body.version)) entry = body.version;
  else if (Array.isArray(body.versions)) {
    const entries = body.versions.filter(isObject);
    const segment = versionSegment(endpoint);
    // An endpoint that names its version must find that version listed: a root that does not list it (the
    // Icehouse /v3 draft on a newer Nova) says nothing about it.
    entry = segment
      ? entries.find((e) => sameVersion(scalarText(e.id), segment))
      : entries.find((e) => scalarText(e.status).toUpperCase() === 'CURRENT') || entries[entries.length - 1];
  }
  if (!entry) return undefined;
  return {
    id: typeof entry.id === 'string' ? entry.id : undefined,
    min: parseMicroversion(entry.min_version),
    max: parseMicroversion(entry.version),
  };
}

/** `v2.1` from `http://h/compute/v2.1/abc`; undefined when the path has no version. */
export function versionSegment(endpoint: string): string | undefined {
  try {
    return new URL(endpoint).pathname.split('/').find((p) => /^v\d+(\.\d+)?$/.test(p));
  } catch {
    return undefined;
  }
}

function sameVersion(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\.0$/, '');
  return norm(a) === norm(b);
}

/**
 * The microversion to send: the client's maximum capped by the server's, or undefined when the server has no
 * microversions (send no header: the server then behaves as its base version).
 */
export function chooseMicroversion(v: ComputeVersion, wanted: string = CLIENT_MAX_MICROVERSION): string | undefined {
  if (!v.max) return undefined;
  const want = parseMicroversion(wanted)!;
  if (compareMicroversions(want, v.max) > 0) return formatMicroversion(v.max);
  // A server newer than this client that dropped old microversions: speak its oldest one.
  if (v.min && compareMicroversions(want, v.min) < 0) return formatMicroversion(v.min);
  return formatMicroversion(want);
}

/** true when the chosen microversion is at least `at`. */
export function atLeast(chosen: string | undefined, at: string): boolean {
  const c = parseMicroversion(chosen);
  return c !== undefined && compareMicroversions(c, parseMicroversion(at)!) >= 0;
}
