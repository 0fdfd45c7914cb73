import type { Page } from 'playwright-core';
import { pollUntil } from './remote-display.ts';

/**
 * What the app's tests do with its tabs, by a tab's name (its title): paste into the address box, find the panel,
 * read and wait for its status line. Panels of inactive tabs stay mounted but hidden, so the locators include
 * hidden elements.
 */
export function tabPage(page: Page) {
  const panel = (name: string) => page.getByRole('tabpanel', { name, includeHidden: true }).first();
  const status = (name: string) =>
    panel(name)
      .getByRole('status', { includeHidden: true })
      .textContent()
      .then((t) => t ?? '')
      .catch(() => '');
  return {
    panel,
    status,
    tab: (name: string) => page.getByRole('tab', { name, exact: true }),
    /** Types into the "Console URL or address" box and presses Enter, as a user pasting a URL would. */
    async paste(text: string) {
      const box = page.getByRole('textbox', { name: 'Console URL or address' });
      await box.fill(text);
      await box.press('Enter');
    },
    /** Waits until the tab's status line matches `re`; returns the text. */
    async waitStatus(name: string, re: RegExp, seconds = 30): Promise<string> {
      let last = '';
      await pollUntil(page, () => `${name}: ${re} (status "${last}")`, async () => re.test((last = await status(name))), seconds * 10, 100);
      return last;
    },
  };
}
