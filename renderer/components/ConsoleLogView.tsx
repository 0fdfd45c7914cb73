import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { LogLines, LogTab } from '../store/types.ts';
import { errorMessage } from '../api/console-api.ts';
import { ansiRuns, colourClass, stripAnsi, type AnsiRun } from '../logic/ansi.ts';
import { findMatches, markMatches, type Piece } from '../logic/log-find.ts';
import { LOG_POLL_MS, isAtBottom, logFileName } from '../logic/log-follow.ts';
import { startPolling } from '../logic/poll.ts';
import { useApp, useAppStore } from './context.ts';
import { usePageVisible } from './use-page-visible.ts';
import { panelDomId, tabDomId } from './TabStrip.tsx';

const LINE_CHOICES: readonly { value: LogLines; label: string }[] = [
  { value: 100, label: 'Last 100 lines' },
  { value: 1000, label: 'Last 1000 lines' },
  { value: 'all', label: 'Whole log' },
];

function pieceClass(p: Piece, current: number): string | undefined {
  const classes = [
    p.fg !== undefined ? colourClass(p.fg) : '',
    p.bold ? 'ansi-bold' : '',
    p.match !== undefined ? (p.match === current ? 'find-hit current' : 'find-hit') : '',
  ].filter(Boolean);
  return classes.length ? classes.join(' ') : undefined;
}

/**
 * A server's console log in its own tab, read-only: fetched again every few seconds while the tab and the window
 * are visible, kept scrolled to the end unless the user scrolled up; find, copy, save; ANSI colours rendered as
 * classes or stripped.
 */
export function ConsoleLogView({ tab, active }: { tab: LogTab; active: boolean }) {
  const store = useAppStore();
  const visible = usePageVisible();
  const setLogLines = useApp((s) => s.setLogLines);
  const refreshLog = useApp((s) => s.refreshLog);
  const [colours, setColours] = useState(true);
  const [query, setQuery] = useState('');
  const [chosen, setCurrent] = useState(0);
  const [note, setNote] = useState<string>();
  const boxRef = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  const unavailable = tab.state === 'unavailable';
  const name = tab.origin.serverName;

  useEffect(() => {
    // A driver that keeps no log will not start keeping one: Refresh asks again.
    if (!active || !visible || unavailable) return;
    return startPolling(() => store.getState().refreshLog(tab.id), () => LOG_POLL_MS);
  }, [store, tab.id, active, visible, unavailable]);

  const output = tab.output ?? '';

  const plain = useMemo(() => stripAnsi(output), [output]);
  const runs = useMemo<AnsiRun[]>(() => (colours ? ansiRuns(output) : [{ text: plain }]), [colours, output, plain]);
  const matches = useMemo(() => findMatches(plain, query), [plain, query]);
  const pieces = useMemo(() => markMatches(runs, matches), [runs, matches]);
  const current = matches.length ? Math.min(chosen, matches.length - 1) : -1;

  // New text: stay at the end if that is where the reader was. Also on showing the tab again.
  useLayoutEffect(() => {
    const box = boxRef.current;
    if (box && stick.current) box.scrollTop = box.scrollHeight;
  }, [pieces, active]);

  function goTo(index: number) {
    if (matches.length === 0) return;
    const i = (index + matches.length) % matches.length;
    setCurrent(i);
    stick.current = false;
    requestAnimationFrame(() => boxRef.current?.querySelector(`[data-match="${i}"]`)?.scrollIntoView({ block: 'center' }));
  }

  async function copy() {
    const sel = window.getSelection();
    const inLog = sel && !sel.isCollapsed && boxRef.current?.contains(sel.anchorNode) && boxRef.current.contains(sel.focusNode);
    const text = inLog ? sel.toString() : plain;
    try {
      await navigator.clipboard.writeText(text);
      setNote(inLog ? 'The selection was copied.' : 'The whole log was copied.');
    } catch (err) {
      setNote(`The clipboard refused the text: ${errorMessage(err)}`);
    }
  }

  function save() {
    // The plain text: escape sequences make a saved log hard to read anywhere but a terminal.
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([plain], { type: 'text/plain;charset=utf-8' }));
    a.download = logFileName(name);
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  const status =
    tab.state === 'loading' ? 'Loading the console log…'
    : tab.state === 'unavailable' ? `No console log: ${name}'s hypervisor driver keeps none. (${tab.reason ?? ''})`
    : tab.state === 'error' ? `The console log could not be fetched: ${tab.reason ?? 'unknown error'}${tab.output !== undefined ? ' (showing the last text)' : ''}`
    : !active || !visible ? 'Following paused while hidden'
    : `Following (every ${LOG_POLL_MS / 1000} s)${tab.fetchedAt ? `, updated ${new Date(tab.fetchedAt).toLocaleTimeString()}` : ''}`;

  return (
    <div id={panelDomId(tab.id)} role="tabpanel" aria-labelledby={tabDomId(tab.id)} className="tab-panel log-panel" hidden={!active}>
      <div className="toolbar" role="toolbar" aria-label={`Console log actions: ${name}`}>
        <label>
          Show
          <select value={String(tab.lines)} onChange={(e) => void setLogLines(tab.id, e.target.value === 'all' ? 'all' : (Number(e.target.value) as LogLines))}>
            {LINE_CHOICES.map((c) => (
              <option key={c.value} value={String(c.value)}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <span className="find">
          <input
            type="search"
            aria-label="Find in log"
            placeholder="Find"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setCurrent(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                goTo(current + (e.shiftKey ? -1 : 1));
              }
            }}
          />
          <span className="muted find-count" aria-live="polite">
            {query ? (matches.length ? `${current + 1} of ${matches.length}` : 'No matches') : ''}
          </span>
          <button disabled={matches.length === 0} aria-label="Previous match" title="Previous match (Shift+Enter)" onClick={() => goTo(current - 1)}>
            ↑
          </button>
          <button disabled={matches.length === 0} aria-label="Next match" title="Next match (Enter)" onClick={() => goTo(current + 1)}>
            ↓
          </button>
        </span>
        <label>
          <input type="checkbox" checked={colours} onChange={(e) => setColours(e.target.checked)} />
          Colours
        </label>
        <button disabled={!plain} onClick={() => void copy()}>
          Copy
        </button>
        <button disabled={!plain} onClick={save}>
          Save…
        </button>
        <button onClick={() => void refreshLog(tab.id)}>Refresh</button>
      </div>
      <pre
        ref={boxRef}
        className="log-output"
        tabIndex={0}
        aria-label={`Console log of ${name}`}
        onScroll={(e) => {
          stick.current = isAtBottom(e.currentTarget);
        }}
      >
        {pieces.map((p, i) => {
          const className = pieceClass(p, current);
          if (p.match !== undefined) {
            return (
              <mark key={i} className={className} data-match={p.match}>
                {p.text}
              </mark>
            );
          }
          return className ? (
            <span key={i} className={className}>
              {p.text}
            </span>
          ) : (
            p.text
          );
        })}
      </pre>
      <div className="status-line">
        <span className={`dot dot-${tab.state === 'ready' ? 'connected' : tab.state === 'loading' ? 'connecting' : tab.state === 'error' ? 'disconnected' : 'unavailable'}`} aria-hidden="true" />
        <span role="status" className={tab.state === 'error' || tab.state === 'unavailable' ? 'log-problem' : undefined}>
          {status}
        </span>
        {note && <span className="muted">{note}</span>}
      </div>
    </div>
  );
}
