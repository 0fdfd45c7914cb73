// Watching what a method of the code under test is called with, from a test in the same process, without changing
// what the method does.

type Method = (...args: any[]) => any;

/**
 * From now on every call of `proto[name]` first hands its receiver and arguments to `watch`, then runs the real method
 * with the same `this` and arguments and returns its result. Returns the function that puts the real method back.
 */
export function watchCalls<T extends Record<K, Method>, K extends PropertyKey>(
  proto: T,
  name: K,
  watch: (self: T, ...args: Parameters<T[K]>) => void,
): () => void {
  const real = proto[name];
  const watched = function (this: T, ...args: Parameters<T[K]>): ReturnType<T[K]> {
    watch(this, ...args);
    return real.apply(this, args);
  };
  proto[name] = watched as T[K];
  return () => {
    proto[name] = real;
  };
}
