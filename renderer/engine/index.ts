export type { RdpEngine, RdpEngineSession, ConnectOptions, CloseReason, SessionEvents, LockKeys, EngineErrorKind } from './types.ts';
export { EngineError } from './types.ts';
export { createIronRdpEngine, loadIronRdp } from './ironrdp.ts';
export { SCANCODES, Scancode, scancodeForCode } from './scancodes.ts';
export { describeIronError } from './iron-errors.ts';
