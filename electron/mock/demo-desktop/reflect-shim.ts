// @peculiar/x509 loads tsyringe, which refuses to start without the Reflect metadata API (normally supplied by
// the reflect-metadata package, not installed here). It only stores and reads constructor metadata, so a WeakMap
// is enough. Installed only when missing, before @peculiar/x509 is imported.

type Target = object;
const store = new WeakMap<Target, Map<string, Map<unknown, unknown>>>();

function bucket(target: Target, property: string | symbol | undefined, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp && create) store.set(target, (byProp = new Map()));
  const key = String(property ?? '');
  let m = byProp?.get(key);
  if (!m && create && byProp) byProp.set(key, (m = new Map()));
  return m;
}

export function installReflectMetadata(): void {
  const R = Reflect as unknown as Record<string, unknown>;
  if (typeof R.getMetadata === 'function') return;
  const getOwn = (key: unknown, target: Target, prop?: string | symbol): unknown => bucket(target, prop, false)?.get(key);
  const get = (key: unknown, target: Target, prop?: string | symbol): unknown => {
    for (let t: Target | null = target; t; t = Object.getPrototypeOf(t)) {
      const v = getOwn(key, t, prop);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const define = (key: unknown, value: unknown, target: Target, prop?: string | symbol): void => {
    bucket(target, prop, true)!.set(key, value);
  };
  R.getMetadata = get;
  R.getOwnMetadata = getOwn;
  R.defineMetadata = define;
  R.hasMetadata = (key: unknown, target: Target, prop?: string | symbol) => get(key, target, prop) !== undefined;
  R.hasOwnMetadata = (key: unknown, target: Target, prop?: string | symbol) => getOwn(key, target, prop) !== undefined;
  R.metadata = (key: unknown, value: unknown) => (target: Target, prop?: string | symbol) => define(key, value, target, prop);
}
