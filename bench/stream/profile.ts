// A CPU profile of the app while it streams (--profile): V8's sampling profiler through the DevTools protocol, on the
// page and on its RDP worker (where IronRDP decodes), each saved as a .cpuprofile (Chrome's DevTools open it) and
// summed up by where that thread's time went. IronRDP's WASM module carries no name section, so its functions show
// as wasm-function[N]: they are summed as one group, with the busiest few listed by number.
import { writeFileSync } from 'node:fs';
import type { Browser, CDPSession } from 'playwright-core';

export interface ProfileSummary {
  file: string;
  /** Share of the samples per group, percent. */
  groups: Record<string, number>;
  /** The busiest functions by self time: name and percent. */
  top: Array<[string, number]>;
}

/** Where DevTools commands go: a page's own session, or a worker reached through the browser's. */
export interface ProfileTarget {
  send(method: string, params?: object): Promise<unknown>;
  detach(): Promise<void>;
}

export function pageTarget(cdp: CDPSession): ProfileTarget {
  return { send: (method, params) => cdp.send(method as never, params as never), detach: async () => undefined };
}

/**
 * A dedicated worker whose script URL contains `scriptName`. Playwright gives no DevTools session for workers, so
 * this attaches through the browser's session without flattening and passes messages by hand
 * (Target.sendMessageToTarget / receivedMessageFromTarget).
 */
export async function workerTarget(browser: Browser, scriptName: string): Promise<ProfileTarget> {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = await cdp.send('Target.getTargets');
  const worker = targetInfos.find((t) => t.type === 'worker' && t.url.includes(scriptName));
  if (!worker) throw new Error(`no worker running ${scriptName}`);
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  let lastId = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    if (e.sessionId !== sessionId) return;
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p) return;
    pending.delete(m.id!);
    if (m.error) p.reject(new Error(m.error.message));
    else p.resolve(m.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++lastId;
        pending.set(id, { resolve, reject });
        cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      }),
    detach: async () => {
      await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
      await cdp.detach().catch(() => undefined);
    },
  };
}

export async function startProfile(target: ProfileTarget): Promise<void> {
  await target.send('Profiler.enable');
  // 0.5 ms between samples: fine enough for frames of ~15 ms, light enough not to slow the page noticeably.
  await target.send('Profiler.setSamplingInterval', { interval: 500 });
  await target.send('Profiler.start');
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples?: number[];
}

export async function stopProfile(target: ProfileTarget, file: string): Promise<ProfileSummary> {
  const { profile } = (await target.send('Profiler.stop')) as { profile: CpuProfile };
  await target.send('Profiler.disable');
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
