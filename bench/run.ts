// `npm run bench`: every benchmark group in one run on this machine, each in its own process (one group's Chromium,
// servers and heap never weigh on another's figures), then one table (figure, min / median / max, target, the native
// client's median on the same server in the same run, and the ratio), the same table in docs/benchmarks.md, and one
// closing JSON line. Asserts nothing: the figures are read, not tested.
//
//   npm run bench [-- --only NAME[,NAME…]] [--no-write]
//
// Groups: stream, input, memory, connect, vnc-connect, sidebar. With --only, docs/benchmarks.md is left as it is
// (it keeps the figures of one whole run) unless --write is given.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RESULT_PREFIX, type Figure, type GroupResult } from './result.ts';
import { stats } from './stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each group and the scripts that measure it (a script may report to several groups; see bench/result.ts). */
const GROUPS: ReadonlyArray<{ name: string; runs: ReadonlyArray<{ script: string; args?: string[] }> }> = [
  { name: 'stream', runs: [{ script: 'bench/stream-fps.ts' }] },
  { name: 'input', runs: [{ script: 'bench/input-latency.ts' }] },
  { name: 'memory', runs: [{ script: 'bench/tab-memory.ts' }] },
  { name: 'connect', runs: [{ script: 'bench/connect-vs-xfreerdp.ts' }, { script: 'bench/app-latency.ts', args: ['--only', 'latency'] }] },
  { name: 'vnc-connect', runs: [{ script: 'bench/vnc-connect-vs-tigervnc.ts' }] },
  { name: 'sidebar', runs: [{ script: 'bench/app-latency.ts', args: ['--only', 'search'] }] },
];

const { values } = parseArgs({ options: { only: { type: 'string' }, write: { type: 'boolean' }, 'no-write': { type: 'boolean' } } });
const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = wanted?.filter((w) => !GROUPS.some((g) => g.name === w)) ?? [];
if (unknown.length) {
  console.error(`bench: no group ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`);
  process.exit(2);
}
const selected = GROUPS.filter((g) => !wanted || wanted.includes(g.name));
const write = values['no-write'] ? false : (values.write ?? !wanted);

/** Runs one script; its own output goes to stderr as it comes (progress), its result lines are collected. */
function runScript(script: string, args: string[]): Promise<{ results: GroupResult[]; failure?: string }> {
  if (!existsSync(join(root, script))) return Promise.resolve({ results: [], failure: `${script} does not exist` });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const results: GroupResult[] = [];
    let pending = '';
    const take = (line: string) => {
      if (line.startsWith(RESULT_PREFIX)) {
        try {
          results.push(JSON.parse(line.slice(RESULT_PREFIX.length)) as GroupResult);
        } catch {
          process.stderr.write(`bench: ${script} printed a result line that is not JSON\n`);
        }
      } else process.stderr.write(line + '\n');
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      lines.forEach(take);
    });
    child.on('close', (code, signal) => {
      if (pending) take(pending);
      const failure = code === 0 ? undefined : `${script} ended with ${signal ?? `exit code ${code}`}`;
      resolve({ results, failure });
    });
  });
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));

interface Row {
  group: string;
  figure: Figure;
}

function tableRows(rows: Row[]): string[][] {
  return rows.map(({ group, figure: f }) => {
    const s = stats(f.samples);
    const native = f.native && f.native.samples.length ? stats(f.native.samples).median : undefined;
    const ratio = native ? s.median / native : undefined;
    return [
      group,
      `${f.name} (${f.unit})`,
      fmt(s.min),
      fmt(s.median),
      fmt(s.max),
      f.target ?? '',
      native !== undefined ? `${fmt(native)} ${f.native!.client}` : '',
      ratio !== undefined ? `${ratio.toFixed(2)}×` : '',
    ];
  });
}

const HEADER = ['group', 'figure', 'min', 'median', 'max', 'target', 'native (median)', 'app / native'];

function textTable(cells: string[][]): string {
  const all = [HEADER, ...cells];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function markdownTable(cells: string[][]): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map((_, i) => (i >= 2 && i <= 4 ? '---:' : '---'))), ...cells.map(line)].join('\n');
}

const started = new Date();
const rows: Row[] = [];
const json: Record<string, unknown> = {};
const notes: string[] = [];
const failures: string[] = [];
for (const group of selected) {
  for (const { script, args = [] } of group.runs) {
    process.stderr.write(`\n== ${group.name}: ${script} ${args.join(' ')}\n`);
    const { results, failure } = await runScript(script, args);
    if (failure) failures.push(`${group.name}: ${failure}`);
    for (const r of results.filter((x) => x.group === group.name)) {
      rows.push(...r.figures.map((figure) => ({ group: r.group, figure })));
      Object.assign(json, r.json);
      notes.push(...(r.notes ?? []).map((n) => `${r.group}: ${n}`));
    }
    if (!failure && !results.some((x) => x.group === group.name)) failures.push(`${group.name}: ${script} reported no figures`);
  }
}

const load = loadavg().map((l) => l.toFixed(2));
const context = `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${load.join(' ')} at the end`;
const cells = tableRows(rows);
console.log(`\nbenchmarks: ${context}`);
console.log(textTable(cells));
for (const f of failures) console.log(`not measured: ${f}`);
const closing = { date: started.toISOString(), cpus: cpus().length, load_average: load.map(Number), groups: selected.map((g) => g.name), ...json, ...(failures.length ? { not_measured: failures } : {}) };

if (write) {
  const doc = [
    '# Benchmarks',
    '',
    `The latest run of \`npm run bench\` on ${context}. Every group runs in its own process; a native client is measured`,
    'on the same server and stream in the same run. Ratios are app / native (for fps higher is better, for ms lower).',
    'The tests never assert on these figures. How each figure is measured: the comments at the top of each script in',
    '`bench/`, and the notes below.',
    '',
    markdownTable(cells),
    '',
    ...(failures.length ? ['Not measured:', '', ...failures.map((f) => `- ${f}`), ''] : []),
    ...(notes.length ? ['Notes:', '', ...notes.map((n) => `- ${n}`), ''] : []),
    'The closing JSON line:',
    '',
    '```json',
    JSON.stringify(closing),
    '```',
    '',
  ].join('\n');
  const path = join(root, 'docs', 'benchmarks.md');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, doc);
  console.log(`written: docs/benchmarks.md`);
}
console.log(JSON.stringify(closing));
