// Runs one fuzz target for scripts/fuzz.mjs and prints its report as one JSON line. A watchdog thread watches the
// index of the input being run: one stuck far beyond the time budget (an endless loop never returns to be timed)
// is reported as a hang with its index, and the process is killed so the run goes on with the next parser.
//   node --import tsx test/fuzz/worker.ts NAME RUN_SEED RUNS   (the target's seed is derived from RUN_SEED and NAME)
//   node --import tsx test/fuzz/worker.ts --list                (the targets' names, one a line)
import { Worker } from 'node:worker_threads';
import { encodeFixture, knownDefects, loadFixtures, runTarget, targetSeed } from './harness.ts';
import { TARGETS, targetNamed } from './targets.ts';

/** How long one input may run before the watchdog calls it a hang (well past TIME_BUDGET_MS, which is timed). */
const HANG_MS = 15_000;

const [name, seedText, runsText] = process.argv.slice(2);
if (name === '--list') {
  process.stdout.write(TARGETS.map((t) => t.name).join('\n') + '\n');
  process.exit(0);
}
const target = targetNamed(name);
if (!target) {
  console.error(`no fuzz target named ${name}`);
  process.exit(2);
}
const seed = targetSeed(Number(seedText), name);
const runs = Number(runsText);

// [calls so far, index of the input being run (-1 while shrinking)]: the watchdog reads them without the main thread.
const shared = new Int32Array(new SharedArrayBuffer(8));
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   const { writeSync } = require('node:fs');
   const at = workerData.shared;
   let last = -1, since = Date.now();
   setInterval(() => {
     const now = Atomics.load(at, 0);
     if (now !== last) { last = now; since = Date.now(); return; }
     if (Date.now() - since > workerData.hangMs) {
       writeSync(1, JSON.stringify({ name: workerData.name, seed: workerData.seed, hang: Atomics.load(at, 1) }) + '\\n');
       process.kill(process.pid, 'SIGKILL');
     }
   }, 250);`,
  { eval: true, workerData: { shared, hangMs: HANG_MS, name, seed } },
);
watchdog.unref();

const report = await runTarget(target, {
  seed,
  runs,
  known: knownDefects(loadFixtures(name)),
  onInput: (i) => {
    Atomics.add(shared, 0, 1);
    Atomics.store(shared, 1, i);
  },
});
const first = report.first && { ...report.first, input: encodeFixture(report.first.input), shrunk: encodeFixture(report.first.shrunk) };
process.stdout.write(JSON.stringify({ ...report, first }) + '\n');
process.exit(0);
