import { useEffect, useRef, useState } from 'react';
import type { ConsoleProtocol } from '../../electron/common/contract.ts';

/**
 * "Open as": the console types a server may have, for when the app's order (VNC, RDP, then serial) does not pick the
 * one wanted. Types the app cannot open yet are listed, disabled, with the reason, so nobody wonders where they are.
 */
export const OPEN_AS: readonly { protocol: ConsoleProtocol; label: string; unsupported?: string }[] = [
  { protocol: 'vnc', label: 'VNC' },
  { protocol: 'rdp', label: 'RDP' },
  { protocol: 'serial', label: 'Serial', unsupported: 'not supported yet' },
  { protocol: 'spice', label: 'SPICE', unsupported: 'not supported yet: use remote-viewer' },
];

interface Props {
  serverName: string;
  /** Where the menu opens, in viewport pixels. */
  at: { x: number; y: number };
  onChoose: (protocol: ConsoleProtocol | undefined) => void;
  onClose: () => void;
}

/** A small menu (role=menu): arrows move, Enter chooses, Escape or a click elsewhere closes it. */
export function OpenAsMenu({ serverName, at, onChoose, onClose }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const items = [{ protocol: undefined, label: 'Open console', unsupported: undefined }, ...OPEN_AS.map((o) => ({ ...o, label: `Open as ${o.label}` }))];
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
        <button
          key={item.label}
          role="menuitem"
          tabIndex={i === focused ? 0 : -1}
          aria-disabled={item.unsupported ? true : undefined}
          title={item.unsupported}
          onClick={() => {
            if (!item.unsupported) onChoose(item.protocol);
          }}
        >
          {item.label}
          {item.unsupported && <span className="muted"> ({item.unsupported})</span>}
        </button>
      ))}
    </div>
  );
}
