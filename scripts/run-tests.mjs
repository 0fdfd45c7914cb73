#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (TypeScript through tsx), one file at a time: the
// end-to-end files start real servers (Xvfb, RDP servers, the demo cloud) and share two cores.
// Usage: node scripts/run-tests.mjs [filter…]   (a filter keeps files whose path contains it)
//
// Under CI (CI=true) a skipped test fails the run unless its reason is one this machine is known to lack (an
// Electron runtime): CI installs every other tool the suites use, so any other skip means a test did not run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error('no test files match', filters.join(' '));
  process.exit(1);
}

// Skips that CI accepts: no Electron binary can be downloaded on these machines (see README).
const ACCEPTED_SKIPS = [/no Electron runtime/i];
const strict = process.env.CI === 'true' || process.env.CI === '1';

// The spec report goes to the terminal; a TAP copy lets this script read the skip reasons afterwards.
const tapDir = mkdtempSync(join(tmpdir(), 'nova-console-tests-'));
const tapFile = join(tapDir, 'report.tap');
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=180000',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
const forward = (sig) => child.kill(sig);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  rmSync(tapDir, { recursive: true, force: true });
  const skips = tap.split('\n').filter((l) => /^\s*ok \d+ - .* # SKIP/.test(l)).map((l) => l.trim());
  const unexpected = skips.filter((l) => !ACCEPTED_SKIPS.some((re) => re.test(l)));
  let status = code ?? (signal ? 1 : 0);
  if (unexpected.length) {
    console.log(`\nskipped for a reason other than a missing Electron runtime (${unexpected.length}):\n  ${unexpected.join('\n  ')}`);
    if (strict) {
      console.log('CI installs every tool these tests use (.ci/run), so a skip here means a test did not run');
      if (status === 0) status = 1;
    }
  }
  // One closing line with the totals of the whole run (the TAP report's own summary).
  const total = (name) => Number(/^# (?:\w+ )?(\d+)$/m.exec(tap.split('\n').filter((l) => l.startsWith(`# ${name} `)).at(-1) ?? '')?.[1] ?? 0);
  console.log(`\ntests: ${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped`);
  process.exit(status);
});
