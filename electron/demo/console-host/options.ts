import { readFileSync } from 'node:fs';
import type { RelayBackend } from './relay.ts';

/** A command-line option the console host cannot use; the message names the option and what is expected. */
export class ConsoleHostOptionError extends Error {
  override name = 'ConsoleHostOptionError';
}

/**
 * Parses `--backend VMID=host:port[,cert=PATH,key=PATH]`: the VM's console is relayed to that RDP server; with the
 * server's certificate and key files the host can also pass CredSSP through to it.
 */
export function parseBackendOption(value: string): { vmId: string; backend: RelayBackend } {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new ConsoleHostOptionError(`--backend ${value}: expected VMID=host:port`);
  const vmId = value.slice(0, eq);
  const [target, ...extras] = value.slice(eq + 1).split(',');
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(target);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new ConsoleHostOptionError(`--backend ${value}: expected host:port after "${vmId}="`);
  const backend: RelayBackend = { host: m[1].replace(/^\[|\]$/g, ''), port };
  const files: Record<string, string> = {};
  for (const extra of extras) {
    const [k, v] = extra.split('=');
    if ((k !== 'cert' && k !== 'key') || !v) throw new ConsoleHostOptionError(`--backend ${value}: unknown part "${extra}" (use cert=PATH,key=PATH)`);
    files[k] = v;
  }
  if (files.cert || files.key) {
    if (!files.cert || !files.key) throw new ConsoleHostOptionError(`--backend ${value}: give both cert=PATH and key=PATH`);
    try {
      backend.tls = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
    } catch (err) {
      throw new ConsoleHostOptionError(`--backend ${value}: cannot read ${(err as NodeJS.ErrnoException).path ?? 'the certificate files'}`);
    }
  }
  return { vmId, backend };
}
