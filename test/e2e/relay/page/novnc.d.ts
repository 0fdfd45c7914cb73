// The part of noVNC 1.7's RFB API (node_modules/@novnc/novnc/docs/API.md) this test page uses; noVNC ships no types.
declare module '@novnc/novnc' {
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: { shared?: boolean; wsProtocols?: string[] });
    disconnect(): void;
  }
}
