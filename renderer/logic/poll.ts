/** Timers, injectable so tests drive the clock. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs `run` now and again `nextDelay()` ms after each run settles (never two at once, so a slow cloud is not
 * asked faster than it answers), until the returned function is called. `run` reports its own failures.
 */
export function startPolling(run: () => Promise<void>, nextDelay: () => number, timers: Timers = realTimers): () => void {
  let stopped = false;
  let handle: unknown;
  const tick = () => {
    handle = undefined;
    void run()
      .catch(() => undefined)
      .then(() => {
        if (!stopped) handle = timers.setTimeout(tick, nextDelay());
      });
  };
  tick();
  return () => {
    stopped = true;
    if (handle !== undefined) timers.clearTimeout(handle);
  };
}
