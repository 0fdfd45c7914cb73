import { Fragment, useEffect, useRef, useState } from 'react';
import type { ConsoleProtocol } from '../../electron/common/contract.ts';

/**
 * "Open as": the console types a server may have, for when the app's order (VNC, RDP, then serial) does not pick the
 * one wanted. Types the app cannot open yet are listed, disabled, with the reason, so nobody wonders where they are.
 */
export const OPEN_AS: readonly { protocol: ConsoleProtocol; label: string; unsupported?: string }[] = [
  { protocol: 'vnc', label: 'VNC' },
  { protocol: 'rdp', label: 'RDP' },
  { protocol: 'serial', label: 'Serial' },
  { protocol: 'spice', label: 'SPICE', unsupported: 'not supported yet: use remote-viewer' },
];

/** What the server's menu can do: open its console (of a type, or the app's pick), its console log, its details. */
export type ServerMenuChoice = { kind: 'console'; protocol?: ConsoleProtocol } | { kind: 'log' } | { kind: 'details' };

interface Props {
  serverName: string;
  /** Where the menu opens, in viewport pixels. */
  at: { x: number; y: number };
  onChoose: (choice: ServerMenuChoice) => void;
  onClose: () => void;
}

interface Item {
  label: string;
  choice: ServerMenuChoice;
  unsupported?: string;
  /** A separator goes before this item. */
  group?: boolean;
}

const ITEMS: readonly Item[] = [
  { label: 'Open console', choice: { kind: 'console' } },
  ...OPEN_AS.map((o): Item => ({ label: `Open as ${o.label}`, choice: { kind: 'console', protocol: o.protocol }, unsupported: o.unsupported })),
  { label: 'Console log', choice: { kind: 'log' }, group: true },
  { label: 'Details', choice: { kind: 'details' } },
];

/** A small menu (role=menu): arrows move, Enter chooses, Escape or a click elsewhere closes it. */
export function OpenAsMenu({ serverName, at, onChoose, onClose }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const items = ITEMS;
  const [focused, setFocused] = useState(0);

  useEffect(() => {
    ref.current?.querySelectorAll<HTMLElement>('[role=menuitem]')[focused]?.focus();
  }, [focused]);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    document.addEventListener('mousedown', away, true);
    return () => document.removeEventListener('mousedown', away, true);
  }, [onClose]);

  return (
    <div
      ref={ref}
      className="menu"
      role="menu"
      aria-label={`Open ${serverName}`}
      style={{ left: at.x, top: at.y }}
      onKeyDown={(e) => {
        // The menu's keys are its own: the tree it opens from would move its row on the arrows and open the row's
        // console on Enter (which would also cancel the menu item's click).
        e.stopPropagation();
        const step = e.key === 'ArrowDown' ? 1 : e.key === 'ArrowUp' ? -1 : 0;
        if (step) {
          e.preventDefault();
          setFocused((f) => (f + step + items.length) % items.length);
        } else if (e.key === 'Escape' || e.key === 'Tab') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      {items.map((item, i) => (
        <Fragment key={item.label}>
          {item.group && <div role="separator" className="menu-separator" />}
          <button
            role="menuitem"
            tabIndex={i === focused ? 0 : -1}
            aria-disabled={item.unsupported ? true : undefined}
            title={item.unsupported}
            onClick={() => {
              if (!item.unsupported) onChoose(item.choice);
            }}
          >
            {item.label}
            {item.unsupported && <span className="muted"> ({item.unsupported})</span>}
          </button>
        </Fragment>
      ))}
    </div>
  );
}
