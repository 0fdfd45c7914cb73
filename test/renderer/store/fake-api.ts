import type { ConsoleEvents, EventName, RequestName } from '../../../electron/common/contract.ts';
import { ApiRequestError, type ConsoleApi } from '../../../renderer/api/console-api.ts';

/** A ConsoleApi whose answers a test scripts (a handler per request), recording every request in order. */
export function fakeApi(handlers: Partial<Record<RequestName, (args: any) => unknown>>) {
  const calls: Array<{ name: RequestName; args: any }> = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const api: ConsoleApi = {
    async invoke(name: RequestName, ...args: unknown[]) {
      calls.push({ name, args: args[0] });
      const h = handlers[name];
      if (!h) throw new ApiRequestError('internal', `no handler for ${name}`);
      return (await h(args[0])) as never;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
  const emit = <E extends EventName>(event: E, payload: ConsoleEvents[E]) => listeners.get(event)?.forEach((l) => l(payload));
  const named = (name: RequestName) => calls.filter((c) => c.name === name);
  return { api, calls, emit, named };
}

/** Lets promise callbacks queued so far run (fire-and-forget requests the store started). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
