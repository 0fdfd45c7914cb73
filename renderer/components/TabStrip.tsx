import { useState } from 'react';
import type { Tab } from '../store/types.ts';
import { useApp } from './context.ts';

export const tabDomId = (id: string) => `${id}-tab`;
export const panelDomId = (id: string) => `${id}-panel`;

const STATE_TEXT: Record<Tab['state'], string> = {
  opening: 'connecting',
  connecting: 'connecting',
  connected: 'connected',
  disconnected: 'disconnected',
};

/** One `tab` per console. Reorder by dragging, or Ctrl+Shift+PageUp/PageDown on a focused tab. */
export function TabStrip() {
  const tabs = useApp((s) => s.tabs);
  const activeTabId = useApp((s) => s.activeTabId);
  const activateTab = useApp((s) => s.activateTab);
  const closeTab = useApp((s) => s.closeTab);
  const moveTab = useApp((s) => s.moveTab);
  const moveTabTo = useApp((s) => s.moveTabTo);
  const [dragging, setDragging] = useState<string>();

  if (tabs.length === 0) return null;
  return (
    <div className="tab-strip" role="tablist" aria-label="Consoles">
      {tabs.map((t, index) => (
        <div
          key={t.id}
          className={`tab-wrap${t.id === activeTabId ? ' active' : ''}`}
          draggable
          onDragStart={(e) => {
            setDragging(t.id);
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/x-nova-tab', t.id);
          }}
          onDragOver={(e) => {
            if (dragging) e.preventDefault();
          }}
          onDrop={(e) => {
            e.preventDefault();
            if (dragging) moveTabTo(dragging, index);
            setDragging(undefined);
          }}
          onDragEnd={() => setDragging(undefined)}
        >
          <div
            id={tabDomId(t.id)}
            role="tab"
            aria-label={t.title}
            aria-selected={t.id === activeTabId}
            aria-controls={panelDomId(t.id)}
            aria-describedby={`${t.id}-state`}
            tabIndex={t.id === activeTabId ? 0 : -1}
            className="tab"
            onClick={() => activateTab(t.id)}
            onAuxClick={(e) => {
              if (e.button === 1) void closeTab(t.id);
            }}
            onKeyDown={(e) => {
              if (e.ctrlKey && e.shiftKey && (e.key === 'PageUp' || e.key === 'PageDown')) {
                e.preventDefault();
                e.stopPropagation();
                moveTab(t.id, e.key === 'PageUp' ? -1 : 1);
                requestAnimationFrame(() => document.getElementById(tabDomId(t.id))?.focus());
              } else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
                const next = tabs[(index + (e.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length];
                activateTab(next.id);
                requestAnimationFrame(() => document.getElementById(tabDomId(next.id))?.focus());
              } else if (e.key === 'Delete') {
                void closeTab(t.id);
              }
            }}
          >
            <span className={`dot dot-${t.state}`} aria-hidden="true" />
            <span className="tab-title" aria-hidden="true">
              {t.title}
            </span>
            <span id={`${t.id}-state`} className="visually-hidden">
              {STATE_TEXT[t.state]}
            </span>
          </div>
          <button className="icon tab-close" aria-label={`Close ${t.title}`} title="Close (Ctrl+W)" onClick={() => void closeTab(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
