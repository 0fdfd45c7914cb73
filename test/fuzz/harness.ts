// The shared runner of the fuzz properties: a target is a parser family's generator of inputs and a check of one
// input. Every input runs under a time budget; a failure is an error the parser was not allowed to throw, a result
// that breaks the check's invariants, or a call slower than the budget. Failures are counted over the whole run (not
// only the first), and the first one is then shrunk by fast-check from the same seed, so it can be kept as a fixture.
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface FuzzTarget<T = unknown> {
  /** Used on the command line (`--only NAME`), in the report and as the fixture file's name. */
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** Runs the parser on one input; throws when the outcome is a defect. */
  check(input: T): void | Promise<void>;
  /** Set when check returns a promise (the parser answers asynchronously). */
  async?: boolean;
}

/** One call longer than this is a hang. */
export const TIME_BUDGET_MS = 1000;

export interface FirstFailure {
  /** Position of the input in the run (0-based): `--runs index+1` replays up to it. */
  index: number;
  input: unknown;
  message: string;
  /** The smallest input fast-check found that still fails, and its message. */
  shrunk: unknown;
  shrunkMessage: string;
}

export interface TargetReport {
  name: string;
  seed: number;
  inputs: number;
  failures: number;
  /** Failures whose message matches a known defect (a fixture's `signature`): counted, but not reported first. */
  known: number;
  /** The first failure that is not a known defect, else the first known one. */
  first?: FirstFailure;
}

/** A defect the check found (its message says which). */
export class FuzzDefect extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FuzzDefect';
  }
}

/**
 * Calls `run`; an error is allowed only when `typed` accepts it (the parser's own error). Anything else, and a
 * parser's error that does not accept it, is a defect carrying the original error's name and message.
 */
export function expectTyped<R>(run: () => R, typed: (err: unknown) => boolean): { value: R } | { error: unknown } {
  try {
    return { value: run() };
  } catch (err) {
    if (typed(err)) return { error: err };
    throw new FuzzDefect(`untyped error ${describeError(err)}`, { cause: err });
  }
}

/** The async form of expectTyped. */
export async function expectTypedAsync<R>(run: () => Promise<R>, typed: (err: unknown) => boolean): Promise<{ value: R } | { error: unknown }> {
  try {
    return { value: await run() };
  } catch (err) {
    if (typed(err)) return { error: err };
    throw new FuzzDefect(`untyped error ${describeError(err)}`, { cause: err });
  }
}

/** A plain `Error` with a sentence: the typed error of parsers that throw no class of their own. */
export const plainError = (err: unknown): boolean =>
  err instanceof Error && Object.getPrototypeOf(err) === Error.prototype && err.message.trim() !== '';

/** An invariant of a parser's result. */
export function holds(condition: unknown, what: string): asserts condition {
  if (!condition) throw new FuzzDefect(`invariant broken: ${what}`);
}

export function describeError(err: unknown): string {
  if (err instanceof FuzzDefect) return err.message;
  if (err instanceof Error) {
    const at = err.stack?.split('\n').find((l) => l.includes('/electron/') || l.includes('/renderer/'))?.trim();
    return `${err.name}: ${err.message}${at ? ` (${at})` : ''}`;
  }
  return String(err);
}

/** Runs one input with the time budget: returns the failure message, or undefined when it passed. */
export async function attempt<T>(target: FuzzTarget<T>, input: T): Promise<string | undefined> {
  const t0 = performance.now();
  try {
    await target.check(input);
  } catch (err) {
    return describeError(err);
  }
  const ms = performance.now() - t0;
  return ms > TIME_BUDGET_MS ? `hang: one call took ${Math.round(ms)} ms (budget ${TIME_BUDGET_MS} ms)` : undefined;
}

function attemptSync<T>(target: FuzzTarget<T>, input: T): string | undefined {
  const t0 = performance.now();
  try {
    const r = target.check(input);
    if (r instanceof Promise) throw new FuzzDefect('a synchronous target returned a promise');
  } catch (err) {
    return describeError(err);
  }
  const ms = performance.now() - t0;
  return ms > TIME_BUDGET_MS ? `hang: one call took ${Math.round(ms)} ms (budget ${TIME_BUDGET_MS} ms)` : undefined;
}

export interface RunOptions {
  seed: number;
  runs: number;
  /** Called before each call of the parser (for a hang watchdog): the input's index, or -1 while shrinking. */
  onInput?: (index: number) => void;
  /** Signatures of known defects (see FuzzFixture). */
  known?: readonly RegExp[];
}

/**
 * Runs `runs` inputs generated from `seed`. The first `k` inputs of a seed do not depend on `runs`, so a failure at
 * index i replays with the same seed and `runs: i + 1`.
 */
export async function runTarget<T>(target: FuzzTarget<T>, opts: RunOptions): Promise<TargetReport> {
  let inputs = 0;
  let failures = 0;
  let known = 0;
  let first: { index: number; input: T; message: string } | undefined;
  let firstKnown: typeof first;
  const record = (input: T, message: string | undefined) => {
    const index = inputs++;
    if (message === undefined) return;
    failures++;
    if (opts.known?.some((re) => re.test(message))) {
      known++;
      firstKnown ??= { index, input, message };
    } else first ??= { index, input, message };
  };
  const params = { seed: opts.seed, numRuns: opts.runs, endOnFailure: true };
  if (target.async) {
    await fc.check(
      fc.asyncProperty(target.arbitrary, async (input) => {
        opts.onInput?.(inputs);
        record(input, await attempt(target, input));
      }),
      params,
    );
  } else {
    fc.check(
      fc.property(target.arbitrary, (input) => {
        opts.onInput?.(inputs);
        record(input, attemptSync(target, input));
      }),
      params,
    );
  }
  const report: TargetReport = { name: target.name, seed: opts.seed, inputs, failures, known };
  // Shrinking replays up to the failure and shrinks the first failing input it meets: that is the reported one
  // unless a known defect came before it (then the reported input stands as it was found).
  const shown = first ?? firstKnown;
  if (shown) {
    const earlierKnown = first !== undefined && firstKnown !== undefined && firstKnown.index < first.index;
    report.first = { ...shown, ...(earlierKnown ? { shrunk: shown.input, shrunkMessage: shown.message } : await shrink(target, opts.seed, shown.index + 1, opts.onInput)) };
  }
  return report;
}

/** Replays the run up to its first failure with a failing property, so fast-check shrinks that input. */
async function shrink<T>(target: FuzzTarget<T>, seed: number, runs: number, onInput?: (index: number) => void): Promise<{ shrunk: unknown; shrunkMessage: string }> {
  const params = { seed, numRuns: runs };
  const details = target.async
    ? await fc.check(
        fc.asyncProperty(target.arbitrary, async (input) => {
          onInput?.(-1);
          const m = await attempt(target, input);
          if (m !== undefined) throw new FuzzDefect(m);
        }),
        params,
      )
    : fc.check(
        fc.property(target.arbitrary, (input) => {
          onInput?.(-1);
          const m = attemptSync(target, input);
          if (m !== undefined) throw new FuzzDefect(m);
        }),
        params,
      );
  if (!details.failed || !details.counterexample) return { shrunk: undefined, shrunkMessage: 'did not fail again when replayed' };
  const err = details.errorInstance;
  return { shrunk: details.counterexample[0], shrunkMessage: err instanceof Error ? err.message : String(err) };
}

/** A seed per target, derived from the run's seed and the target's name (FNV-1a), so `--only` replays exactly. */
export function targetSeed(runSeed: number, name: string): number {
  let h = 0x811c9dc5 ^ (runSeed >>> 0);
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

// Fixtures: inputs are strings, JSON-like values and bytes; bytes are written as {"$bytes": "<hex>"}.

export function encodeFixture(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(encodeFixture);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: encodeFixture(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

export function decodeFixture(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeFixture);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'hex');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) Object.defineProperty(out, k, { value: decodeFixture(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * A kept failing input, replayed by the tests. `bug` names a defect in production code not fixed yet: its replay is a
 * todo test, and failures whose message matches `signature` (a regular expression) are counted as that defect.
 */
export interface FuzzFixture {
  input: unknown;
  /** Where it was found: `seed S, input #I`. */
  found: string;
  bug?: string;
  signature?: string;
}

const FIXTURES = fileURLToPath(new URL('../fixtures/fuzz/', import.meta.url));

/** The fixtures of one target (test/fixtures/fuzz/NAME.json), none when it has no file. */
export function loadFixtures(name: string): FuzzFixture[] {
  const file = `${FIXTURES}${name}.json`;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FuzzFixture[]) : [];
}

/** The signatures of the known, unfixed defects among fixtures. */
export function knownDefects(fixtures: readonly FuzzFixture[]): RegExp[] {
  return fixtures.filter((f) => f.bug && f.signature).map((f) => new RegExp(f.signature!));
}
