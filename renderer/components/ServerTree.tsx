import { useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ConsoleProtocol, ServerSummary } from '../../electron/common/contract.ts';
import { statusTone } from '../logic/filter-servers.ts';
import { OpenAsMenu } from './OpenAsMenu.tsx';

export const ROW_HEIGHT = 28;
const OVERSCAN = 8;

interface Props {
  /** Accessible name of the tree: the cloud's label. */
  label: string;
  idPrefix: string;
  servers: readonly ServerSummary[];
  /** `protocol`: the console type chosen with "Open as"; absent, the app's order decides. */
  onOpen: (server: ServerSummary, protocol?: ConsoleProtocol) => void;
  /** The server's menu: "Console log". */
  onConsoleLog: (server: ServerSummary) => void;
  /** The server's menu: "Details". */
  onDetails: (server: ServerSummary) => void;
}

/**
 * The servers of one cloud as a flat `tree`, virtualized: only the rows in view (plus a few) exist in the DOM, so
 * 10,000 servers scroll and filter smoothly. Focus stays on the tree and `aria-activedescendant` names the current
 * row, which keeps keyboard navigation working for rows that are not rendered yet.
 */
export function ServerTree({ label, idPrefix, servers, onOpen, onConsoleLog, onDetails }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  const [chosen, setActive] = useState(0);
  // The keyboard's row, kept inside the list when it shrinks (a filter, a refresh): derived, not synced by an effect.
  const active = Math.min(chosen, Math.max(0, servers.length - 1));
  const [menu, setMenu] = useState<{ server: ServerSummary; at: { x: number; y: number } }>();

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight || 400);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 400));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // A search that shrinks the list clamps the element's scroll position, but its scroll event comes a frame later:
  // clamped here, the rows of the shorter list show in the same frame instead of a blank one.
  const top = Math.min(scrollTop, Math.max(0, servers.length * ROW_HEIGHT - height));
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(servers.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  const rows = servers.slice(first, last);
  const rowId = (i: number) => `${idPrefix}-row-${i}`;

  function reveal(i: number) {
    const el = ref.current;
    if (!el) return;
    const top = i * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
    setScrollTop(el.scrollTop);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (servers.length === 0) return;
    const page = Math.max(1, Math.floor(height / ROW_HEIGHT) - 1);
    const move: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    let next: number | undefined;
    if (e.key in move) next = active + move[e.key];
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = servers.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      const s = servers[active];
      if (s) onOpen(s);
      return;
    } else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey)) {
      // The keyboard's way to the server's menu ("Open as", console log, details): it opens under the current row.
      e.preventDefault();
      const s = servers[active];
      const box = ref.current?.getBoundingClientRect();
      if (s && box) setMenu({ server: s, at: { x: box.left + 24, y: box.top + (active + 1) * ROW_HEIGHT - (ref.current?.scrollTop ?? 0) } });
      return;
    }
    if (next === undefined) return;
    e.preventDefault();
    next = Math.max(0, Math.min(servers.length - 1, next));
    setActive(next);
    reveal(next);
  }

  return (
    <div
      ref={ref}
      className="server-tree"
      role="tree"
      aria-label={label}
      tabIndex={0}
      aria-activedescendant={servers.length > 0 && active >= first && active < last ? rowId(active) : undefined}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      onKeyDown={onKeyDown}
    >
      <div style={{ height: servers.length * ROW_HEIGHT, position: 'relative' }} role="none">
        {rows.map((s, k) => {
          const i = first + k;
          const tone = statusTone(s.status);
          return (
            <div
              key={s.id}
              id={rowId(i)}
              role="treeitem"
              aria-label={s.name}
              aria-describedby={`${rowId(i)}-status`}
              aria-selected={i === active}
              aria-level={1}
              aria-setsize={servers.length}
              aria-posinset={i + 1}
              className={`server-row${i === active ? ' active' : ''}`}
              style={{ transform: `translateY(${i * ROW_HEIGHT}px)`, height: ROW_HEIGHT }}
              title={`${s.name}\n${s.id}${s.addresses.length ? '\n' + s.addresses.join(', ') : ''}`}
              onClick={() => {
                setActive(i);
                onOpen(s);
              }}
              onContextMenu={(e) => {
                e.preventDefault();
                setActive(i);
                setMenu({ server: s, at: { x: e.clientX, y: e.clientY } });
              }}
            >
              <span className="server-name" aria-hidden="true">{s.name}</span>
              <span id={`${rowId(i)}-status`} className={`badge badge-${tone}`}>
                {s.status}
                {s.taskState ? ` (${s.taskState})` : ''}
              </span>
            </div>
          );
        })}
      </div>
      {menu && (
        <OpenAsMenu
          serverName={menu.server.name}
          at={menu.at}
          onChoose={(choice) => {
            setMenu(undefined);
            if (choice.kind === 'console') onOpen(menu.server, choice.protocol);
            else if (choice.kind === 'log') onConsoleLog(menu.server);
            else onDetails(menu.server);
          }}
          onClose={() => {
            setMenu(undefined);
            ref.current?.focus();
          }}
        />
      )}
    </div>
  );
}
