// Every fuzz property of `npm run fuzz`, with a small count from a fixed seed, and every kept failing input
// (test/fixtures/fuzz/NAME.json) replayed: a known, unfixed defect in production code replays as a todo test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attempt, decodeFixture, knownDefects, loadFixtures, runTarget, targetSeed } from './harness.ts';
import { TARGETS } from './targets.ts';

/** Fixed, so a failure here replays with `npm run fuzz -- --seed 1 --only NAME --runs K`. */
const SEED = 1;
const RUNS = 200;

for (const target of TARGETS) {
  const fixtures = loadFixtures(target.name);
  const seed = targetSeed(SEED, target.name);

  test(`${target.name}: ${RUNS} inputs from seed ${SEED} break no property`, async () => {
    const r = await runTarget(target, { seed, runs: RUNS, known: knownDefects(fixtures) });
    assert.equal(r.inputs, RUNS);
    const f = r.first;
    assert.equal(
      r.failures - r.known,
      0,
      f && `input #${f.index}: ${f.message}\nshrunk: ${JSON.stringify(f.shrunk)}\nreplay: npm run fuzz -- --seed ${SEED} --only ${target.name} --runs ${f.index + 1}`,
    );
  });

  for (const [i, fixture] of fixtures.entries()) {
    const replay = async () => {
      const failure = await attempt(target, decodeFixture(fixture.input) as never);
      assert.equal(failure, undefined, `${target.name} fixture ${i} (${fixture.found})`);
    };
    if (fixture.bug) test(`${target.name}: kept input ${i} (${fixture.found})`, { todo: fixture.bug }, replay);
    else test(`${target.name}: kept input ${i} (${fixture.found})`, replay);
  }
}
