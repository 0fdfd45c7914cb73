/** The app's own page is served from this privileged scheme in Electron (never file://, never http). */
export const APP_SCHEME = 'nova-app';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

const ALLOWED = new Set(['clipboard-read', 'clipboard-sanitized-write', 'fullscreen']);

/** True only for the app's own page. */
export function isAppUrl(url: string | undefined | null): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * Every permission request is denied except clipboard (Type clipboard, clipboard sync) and fullscreen, and those
 * only for the app's own page: a console is a keyboard and a screen, it needs no camera, location or notifications.
 */
export function permissionAllowed(permission: string, requestingUrl: string | undefined | null): boolean {
  return ALLOWED.has(permission) && isAppUrl(requestingUrl);
}
