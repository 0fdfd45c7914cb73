// A VM's screen size, shared by every VNC client of that VM as on a real VM (one guest, one display): a
// SetDesktopSize from one client resizes it for all of them, each told why (its own request, or another client's).
import { RESIZE_REASON, RESIZE_STATUS, type Screen } from './rfb-messages.ts';

/** The smallest and largest desktop a client may ask for (each framebuffer size costs two buffers of 4 bytes a pixel). */
export const MIN_SIZE = { width: 320, height: 200 };
export const MAX_SIZE = { width: 3840, height: 2160 };

/** What a session does when the screen changes size. */
export interface ResizeListener {
  screenResized(reason: number): void;
}

export class SharedScreen {
  /** The screen id announced in ExtendedDesktopSize (one screen; QEMU numbers it 0 too). */
  readonly screenId = 0;
  private readonly listeners = new Set<ResizeListener>();

  constructor(
    public width = 1024,
    public height = 768,
  ) {}

  join(listener: ResizeListener): void {
    this.listeners.add(listener);
  }

  leave(listener: ResizeListener): void {
    this.listeners.delete(listener);
  }

  /**
   * A client's SetDesktopSize. The layout must be one or more non-empty screens inside the requested framebuffer;
   * the framebuffer's size is what changes. Returns the status for the requester; on success every other client is
   * told with reason "other client".
   */
  request(width: number, height: number, screens: Screen[], from: ResizeListener): number {
    if (width < MIN_SIZE.width || height < MIN_SIZE.height || width > MAX_SIZE.width || height > MAX_SIZE.height) return RESIZE_STATUS.outOfResources;
    if (screens.length === 0 || screens.some((s) => s.w === 0 || s.h === 0 || s.x + s.w > width || s.y + s.h > height)) return RESIZE_STATUS.invalidLayout;
    this.width = width;
    this.height = height;
    for (const l of this.listeners) if (l !== from) l.screenResized(RESIZE_REASON.otherClient);
    return RESIZE_STATUS.ok;
  }
}
