/**
 * In the RDP worker: the messages IronRDP sends, without Blobs.
 *
 * IronRDP's web build wraps every message it sends (each key, each frame acknowledgement) in a Blob made of byte
 * arrays and hands that to its WebSocket. A Blob is registered with the browser process, and the socket must read it
 * back before sending; the worker read it in place (FileReaderSync), but creating and reading the Blobs still took
 * about a seventh of the worker's time on a streaming session, which acknowledges every frame. Here `new Blob(parts)`
 * of byte arrays makes an OutgoingBytes instead, holding a copy of the bytes (the arrays may be views on IronRDP's
 * memory, reused after the call), and the worker's WebSocket.send sends those bytes.
 *
 * Every Blob made of byte arrays in the worker becomes one: the only other Blobs IronRDP's module makes are clipboard
 * file downloads, which the app does not use. Blobs of anything else, or with options, are real Blobs.
 */
export class OutgoingBytes {
  constructor(readonly payload: ArrayBuffer) {}
}

export function installOutgoingBytes(scope: { Blob: typeof Blob }): void {
  scope.Blob = new Proxy(scope.Blob, {
    construct(target, args: ConstructorParameters<typeof Blob>, newTarget) {
      const [parts, options] = args;
      if (options === undefined && Array.isArray(parts) && parts.every((p) => p instanceof Uint8Array)) {
        const arrays = parts as Uint8Array[];
        const out = new Uint8Array(arrays.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of arrays) {
          out.set(p, at);
          at += p.length;
        }
        return new OutgoingBytes(out.buffer);
      }
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
}
