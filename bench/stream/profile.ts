// A CPU profile of the app's page while it streams (--profile): V8's sampling profiler through the DevTools protocol,
// saved as a .cpuprofile (Chrome's DevTools open it) and summed up by where the main thread's time went. IronRDP's
// WASM module carries no name section, so its functions show as wasm-function[N]: they are summed as one group, with
// the busiest few listed by number.
import { writeFileSync } from 'node:fs';
import type { CDPSession } from 'playwright-core';

export interface ProfileSummary {
  file: string;
  /** Share of the samples per group, percent. */
  groups: Record<string, number>;
  /** The busiest functions by self time: name and percent. */
  top: Array<[string, number]>;
}

export async function startProfile(cdp: CDPSession): Promise<void> {
  await cdp.send('Profiler.enable');
  // 0.5 ms between samples: fine enough for frames of ~15 ms, light enough not to slow the page noticeably.
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
}

export async function stopProfile(cdp: CDPSession, file: string): Promise<ProfileSummary> {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  // IronRDP's module is loaded from a data: URL of several megabytes, repeated in every one of its frames: kept, the
  // file would weigh hundreds of megabytes.
  for (const n of profile.nodes) if (n.callFrame.url.startsWith('data:')) n.callFrame.url = 'data:(inline WASM module)';
  writeFileSync(file, JSON.stringify(profile));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const samples = profile.samples ?? [];
  const self = new Map<string, number>();
  const groups: Record<string, number> = {};
  for (const id of samples) {
    const frame = nodes.get(id)?.callFrame;
    const name = frame?.functionName || '(anonymous)';
    // A WASM frame's url is the module's data: URL; a script's, its file.
    const where = frame?.url && !name.startsWith('wasm-function') ? ` ${frame.url.split('/').pop()}` : '';
    self.set(name + where, (self.get(name + where) ?? 0) + 1);
    const group = name.startsWith('wasm-function')
      ? 'WASM (IronRDP)'
      : name === '(idle)'
        ? 'idle'
        : name === '(program)'
          ? 'browser internals (program)'
          : name === '(garbage collector)'
            ? 'garbage collection'
            : name === 'putImageData' || name === 'drawImage'
              ? 'canvas draw calls'
              : frame?.url
                ? 'JavaScript'
                : 'other native';
    groups[group] = (groups[group] ?? 0) + 1;
  }
  const pct = (n: number) => Math.round((n / Math.max(1, samples.length)) * 1000) / 10;
  return {
    file,
    groups: Object.fromEntries(Object.entries(groups).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, pct(v)])),
    top: [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, pct(v)]),
  };
}
