import { chromium, type Browser } from 'playwright-core';
import { haveBinary } from './xvfb.ts';

/** Debian's Chromium driven by playwright-core (no browser download ever). */
export const CHROMIUM = '/usr/bin/chromium';

export function chromiumMissing(): string | false {
  return haveBinary(CHROMIUM) ? false : `${CHROMIUM} is not installed (run scripts/install-test-deps.sh)`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Playwright adds --no-sandbox itself when running as root.
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}
