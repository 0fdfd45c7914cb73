// os-getConsoleOutput as Nova answers it, step by step:
//  - the schema (nova/api/openstack/compute/schemas/console_output.py): `length` an integer ≥ -1, a string of digits
//    with an optional minus sign (any value: `minimum` does not apply to strings), or null;
//  - the driver's log: libvirt reads the last 100 KiB of the console log file (MAX_CONSOLE_BYTES); Hyper-V returns
//    its console log files whole;
//  - the compute manager's _tail_log: no length (absent or null) is everything; 0 is nothing; otherwise
//    b'\n'.join(log.split(b'\n')[-int(length):]), so N > 0 is the last N lines and -1 drops the first line (the
//    schema's comment says -1 means "unlimited", the code does not), then decode('ascii', 'replace'): every
//    non-ASCII byte becomes U+FFFD;
//  - the API removes [\x00-\x08\x0B-\x1F] from the text, so ANSI escapes lose their ESC and CR LF becomes LF.
import type { Schema } from './schema.ts';

export const consoleOutputSchema: Schema = {
  type: 'object',
  properties: {
    'os-getConsoleOutput': {
      type: 'object',
      properties: { length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 } },
      additionalProperties: false,
    },
  },
  required: ['os-getConsoleOutput'],
  additionalProperties: false,
};

/** nova/virt/libvirt/driver.py MAX_CONSOLE_BYTES. */
export const LIBVIRT_MAX_CONSOLE_BYTES = 100 * 1024;

/** The `output` Nova returns for a console log and the request's validated `length`. */
export function consoleOutput(log: Buffer, length: number | string | null | undefined): string {
  let bytes = log;
  if (length !== null && length !== undefined) {
    const n = Number.parseInt(String(length), 10);
    // Python's list[-n:] is JavaScript's slice(-n) for every n but 0, which _tail_log answers with nothing.
    bytes = n === 0 ? Buffer.alloc(0) : joinLines(splitLines(bytes).slice(-n));
  }
  let text = '';
  for (const b of bytes) text += b < 0x80 ? String.fromCharCode(b) : '\ufffd';
  // eslint-disable-next-line no-control-regex -- removing control characters is what this line is for
  return text.replace(/[\x00-\x08\x0b-\x1f]/g, '');
}

function splitLines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, start)) {
    out.push(bytes.subarray(start, i));
    start = i + 1;
  }
  out.push(bytes.subarray(start));
  return out;
}

function joinLines(lines: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  lines.forEach((l, i) => {
    if (i > 0) parts.push(Buffer.from('\n'));
    parts.push(l);
  });
  return Buffer.concat(parts);
}
