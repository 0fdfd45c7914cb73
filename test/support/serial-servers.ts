import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portPicker } from './ports.ts';
import { waitForPort } from './rdp-servers.ts';
import { haveBinary, spawnTracked, type Tracked } from './xvfb.ts';

/**
 * A real shell behind a TCP "serial port" for the serial console tests: socat listens on loopback and runs an
 * interactive bash on a pty for each connection (what a guest's getty or shell on ttyS0 looks like from outside),
 * with a private HOME and a known prompt. Put websockify (vnc-servers.ts) with a token file in front of it to get
 * what Nova's serial proxy serves. Ports come from this suite's range (34200-34299); processes are stopped by PID.
 */

export const SERIAL_PORT_RANGE = { first: 34200, last: 34299 } as const;
/** The shell's prompt (PS1), so tests can tell it from command output. */
export const SERIAL_PROMPT = 'serial$ ';

const BINARIES = ['/usr/bin/socat', '/bin/bash', '/usr/bin/websockify'];

/** Why the serial tests cannot run here, or false. */
export function serialServersMissing(): string | false {
  for (const bin of BINARIES) if (!haveBinary(bin)) return `${bin} is not installed (run scripts/install-test-deps.sh)`;
  return false;
}

const ports = portPicker(SERIAL_PORT_RANGE);

export interface SerialShell {
  port: number;
  proc: Tracked;
  stop(): Promise<void>;
}

/** `socat TCP-LISTEN:P,…,fork EXEC:'bash --norc -i',pty,stderr,setsid,sigint,sane`; waits until it listens. */
export async function startSerialShell(): Promise<SerialShell> {
  const port = await ports.pick();
  const home = mkdtempSync(join(tmpdir(), 'serial-home-'));
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', PS1: SERIAL_PROMPT, TERM: 'xterm', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  const proc = spawnTracked('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, "EXEC:'bash --norc -i',pty,stderr,setsid,sigint,sane"], env);
  const stop = async () => {
    await proc.stop();
    ports.release(port);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, proc);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, proc, stop };
}
