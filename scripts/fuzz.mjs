#!/usr/bin/env node
// Fuzzes every parser of untrusted input with its properties (test/fuzz/), each parser in its own process, as many at
// a time as the machine has cores. One line per parser, `NAME: N inputs, F failures`, then the totals. The run's seed
// is printed first; each parser's seed derives from it and the parser's name, so a failure replays with
//   npm run fuzz -- --seed S --only NAME --runs K
// Options: --seed N (default: from the clock), --only NAME[,NAME…] (repeatable), --runs K (default 100000),
// --jobs J (default: the number of cores), --save (append each failure's shrunk input to test/fixtures/fuzz/NAME.json
// for review: it is replayed by the tests as a todo until its entry is reviewed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const WORKER = ['--import', 'tsx', join(root, 'test/fuzz/worker.ts')];

function parseArgs(argv) {
  const opts = { seed: Date.now() % 2 ** 31, runs: 100_000, jobs: availableParallelism(), only: [], save: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seed') opts.seed = Number(value());
    else if (a === '--runs') opts.runs = Number(value());
    else if (a === '--jobs') opts.jobs = Number(value());
    else if (a === '--only') opts.only.push(...value().split(','));
    else if (a === '--save') opts.save = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['seed', 'runs', 'jobs']) {
    if (!Number.isInteger(opts[k]) || opts[k] < (k === 'seed' ? 0 : 1)) throw new Error(`--${k} must be a whole number`);
  }
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(`fuzz: ${err.message}`);
  process.exit(2);
}

const listed = spawnSync(process.execPath, [...WORKER, '--list'], { cwd: root, encoding: 'utf8' });
if (listed.status !== 0) {
  console.error(listed.stderr);
  process.exit(2);
}
const all = listed.stdout.split('\n').filter(Boolean);
const unknown = opts.only.filter((n) => !all.includes(n));
if (unknown.length) {
  console.error(`fuzz: no parser named ${unknown.join(', ')} (there are: ${all.join(', ')})`);
  process.exit(2);
}
const names = opts.only.length ? all.filter((n) => opts.only.includes(n)) : all;

/** Runs one parser's properties in a child process; resolves to its report (a hang or a crash is one failure). */
function fuzzOne(name) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...WORKER, name, String(opts.seed), String(opts.runs)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      let report;
      try {
        report = JSON.parse(line);
      } catch {
        report = undefined;
      }
      if (report && report.hang !== undefined) {
        const at = report.hang;
        resolve({
          name,
          seed: report.seed,
          inputs: Math.max(at, 0),
          failures: 1,
          first: { index: at, message: at >= 0 ? `hang: input #${at} did not return` : 'hang while shrinking a failing input', replayRuns: at + 1 },
        });
      } else if (report && code === 0) {
        resolve(report);
      } else {
        resolve({ name, inputs: 0, failures: 1, first: { index: -1, message: `the fuzz process ended (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-3).join(' | ')}` } });
      }
    });
  });
}

const short = (v) => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > 400 ? s.slice(0, 400) + '…' : s;
};

function printReport(r) {
  console.log(`${r.name}: ${r.inputs} inputs, ${r.failures} failures`);
  if (!r.first) return;
  const f = r.first;
  if (r.known) console.log(`  ${r.known} of them are known defects (test/fixtures/fuzz/${r.name}.json)`);
  console.log(`  first ${r.known && r.known === r.failures ? 'known ' : ''}failure: input #${f.index}: ${f.message}`);
  if (f.input !== undefined) console.log(`  input: ${short(f.input)}`);
  if (f.shrunk !== undefined) console.log(`  shrunk: ${short(f.shrunk)} (${f.shrunkMessage})`);
  if (f.index >= 0) console.log(`  replay: npm run fuzz -- --seed ${opts.seed} --only ${r.name} --runs ${f.index + 1}`);
  if (opts.save && f.shrunk !== undefined) save(r);
}

/** Appends the shrunk failing input to the parser's fixtures, marked for review. */
function save(r) {
  const file = join(root, 'test/fixtures/fuzz', `${r.name}.json`);
  const fixtures = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  if (fixtures.some((x) => JSON.stringify(x.input) === JSON.stringify(r.first.shrunk))) return;
  fixtures.push({ input: r.first.shrunk, found: `seed ${opts.seed} (${r.name}: ${r.seed}), input #${r.first.index}`, bug: `unreviewed: ${r.first.shrunkMessage}` });
  writeFileSync(file, JSON.stringify(fixtures, null, 2) + '\n');
  console.log(`  saved to ${file}`);
}

const started = Date.now();
console.log(`fuzz: seed ${opts.seed}, ${opts.runs} inputs per parser, ${Math.min(opts.jobs, names.length)} at a time (replay: npm run fuzz -- --seed ${opts.seed} [--only NAME] [--runs K])`);

// Reports are printed in the parsers' order as soon as each one and those before it are done.
const results = new Array(names.length);
let printed = 0;
let next = 0;
async function lane() {
  while (next < names.length) {
    const i = next++;
    results[i] = await fuzzOne(names[i]);
    while (printed < names.length && results[printed]) printReport(results[printed++]);
  }
}
await Promise.all(Array.from({ length: Math.min(opts.jobs, names.length) }, lane));

const inputs = results.reduce((n, r) => n + r.inputs, 0);
const failures = results.reduce((n, r) => n + r.failures, 0);
console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
console.log(`fuzz: ${names.length} parsers, ${inputs} inputs, ${failures} failures`);
process.exitCode = failures > 0 ? 1 : 0;
