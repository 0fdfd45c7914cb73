// The one shape every benchmark group reports in, so `npm run bench` (bench/run.ts) can run each group in its own
// process and print one table: a group prints its figures as usual and ends with one line `BENCH-RESULT {json}`.

/** One measured figure: its samples (one per run), what it is aimed at, and the native client's on the same thing. */
export interface Figure {
  /** What is measured, as the table shows it ("stream 1024×768, demo desktop"). */
  name: string;
  /** "fps", "ms", "MB". */
  unit: string;
  samples: number[];
  /** Whether more is better (fps) or less (ms, MB): the ratio is app / native either way, read with this. */
  better: 'higher' | 'lower';
  /** The goal in words ("≥ 60 fps and ≥ 0.8× xfreerdp"). */
  target?: string;
  /** The native client's samples on the same server and stream, in the same run. */
  native?: { client: string; samples: number[] };
}

export interface GroupResult {
  /** The group's name, as `--only NAME` selects it: stream, input, memory, connect, vnc-connect, sidebar. */
  group: string;
  figures: Figure[];
  /** The group's keys in the closing JSON line (e.g. rdp_stream_1024: { app_fps, xfreerdp_fps }). */
  json: Record<string, unknown>;
  /** Sentences worth keeping beside the table (what a figure includes, why a run was skipped). */
  notes?: string[];
}

export const RESULT_PREFIX = 'BENCH-RESULT ';

/** Prints the group's result line (the last line the runner reads from this process). */
export function emitResult(result: GroupResult): void {
  console.log(RESULT_PREFIX + JSON.stringify(result));
}
