import type { AnsiRun } from './ansi.ts';

/** One match of the find box in the log's plain text: [start, end). */
export interface Match {
  start: number;
  end: number;
}

/** A bound on highlighted matches, so a one-letter query over a long log stays responsive. */
export const MAX_MATCHES = 5_000;

/** Every (non-overlapping) match of `query` in `text`, ignoring case; none for an empty query. */
export function findMatches(text: string, query: string, limit = MAX_MATCHES): Match[] {
  if (!query) return [];
  // A regular expression over the original text keeps its indices, which lower-casing a copy may not (İ → i̇).
  const re = new RegExp(query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'giu');
  const out: Match[] = [];
  for (const m of text.matchAll(re)) {
    out.push({ start: m.index, end: m.index + m[0].length });
    if (out.length >= limit) break;
  }
  return out;
}

/** A run cut at match boundaries: `match` is the index of the match it belongs to. */
export interface Piece extends AnsiRun {
  match?: number;
}

/** The runs of a log cut so that every match is its own piece(s), styles kept: the view marks those. */
export function markMatches(runs: readonly AnsiRun[], matches: readonly Match[]): Piece[] {
  const pieces: Piece[] = [];
  let pos = 0;
  let m = 0;
  for (const run of runs) {
    const runEnd = pos + run.text.length;
    let at = pos;
    while (at < runEnd) {
      while (m < matches.length && matches[m].end <= at) m++;
      const match = matches[m];
      let end: number;
      let inMatch = false;
      if (!match || match.start >= runEnd) end = runEnd;
      else if (match.start > at) end = match.start;
      else {
        end = Math.min(match.end, runEnd);
        inMatch = true;
      }
      pieces.push({ ...run, text: run.text.slice(at - pos, end - pos), ...(inMatch ? { match: m } : {}) });
      at = end;
    }
    pos = runEnd;
  }
  return pieces;
}
