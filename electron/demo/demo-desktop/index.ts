// The demo desktop: a small RDP server drawing a live picture of one VM (see server.ts, session.ts).
export { startDemoDesktop, type DemoDesktopServer, type DemoDesktopServerOptions } from './server.ts';
export { DemoDesktop, type DemoDesktopOptions } from './desktop.ts';
export { handleRdpConnection, DesktopSession, type DesktopSessionOptions, type TlsIdentity } from './session.ts';
export { loadOrCreateCertificate } from './certificate.ts';
