// The objects the test and benchmark pages put on `window` for Playwright to call. Declared once here, for the pages
// that define them (tsconfig.pages.json) and the tests that call them through page.evaluate (tsconfig.json).
interface Window {
  /** test/e2e/rdp/page/main.ts */
  rdpTest: unknown;
  /** test/renderer/consoles/rdp/page/recording.ts */
  displayTest: unknown;
  /** bench/connect-page/main.ts */
  connectBench: unknown;
}
