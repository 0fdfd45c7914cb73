// Reading what a tab's remote display shows, for the app's end-to-end tests: the canvas as PNG, OCR of it, and a
// bounded poll. The demo desktop draws in a pixel font Tesseract reads (names, typed text, clipboard lines).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';

export const TESSERACT = '/usr/bin/tesseract';
/** Why OCR sub-tests are skipped here, or undefined when Tesseract is installed. */
export const tesseractMissing = existsSync(TESSERACT) ? undefined : `OCR not checked: ${TESSERACT} is not installed (apt-get install tesseract-ocr)`;
if (tesseractMissing) console.log(tesseractMissing);

/** The display's current frame as PNG bytes (works for hidden tabs too: their sessions keep running). */
export async function displayFrame(page: Page, name: string): Promise<Buffer> {
  const url = await page.locator(`canvas[aria-label="Remote display: ${name}"]`).evaluate((c: HTMLCanvasElement) => c.toDataURL('image/png'));
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
}

export function ocr(png: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(TESSERACT, ['stdin', 'stdout', '--psm', '11'], { encoding: 'utf8', maxBuffer: 1 << 20 }, (err: Error | null, out: string) =>
      err ? reject(err) : resolve(out),
    );
    child.stdin!.end(png);
  });
}

/** Polls (bounded: `tries` × `intervalMs`) until the predicate holds; fails naming what it waited for. */
export async function pollUntil(
  page: Page,
  what: string | (() => string),
  ok: () => boolean | Promise<boolean>,
  tries = 100,
  intervalMs = 50,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await ok()) return;
    await page.waitForTimeout(intervalMs);
  }
  assert.fail(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
}
