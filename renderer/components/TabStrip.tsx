import { useState } from 'react';
import type { Tab } from '../store/types.ts';
import { useApp } from './context.ts';

export const tabDomId = (id: string) => `${id}-tab`;
export const panelDomId = (id: string) => `${id}-panel`;

/** The dot colour (a `dot-*` class) and the words a screen reader hears for a tab's state. */
function tabState(t: Tab): { dot: string; text: string } {
  if (t.kind === 'log') {
    switch (t.state) {
      case 'loading':
        return { dot: 'connecting', text: 'loading' };
      case 'ready':
        return { dot: 'connected', text: 'console log' };
      case 'unavailable':
        return { dot: 'unavailable', text: 'no console log' };
      case 'error':
        return { dot: 'disconnected', text: 'console log failed' };
    }
  }
  const text = t.state === 'opening' ? 'connecting' : t.state === 'connected' && t.serverHold === 'paused' ? 'paused' : t.state;
  return { dot: t.state, text };
}

/** One `tab` per console or console log. Reorder by dragging, or Ctrl+Shift+PageUp/PageDown on a focused tab. */
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
            <span className={`dot dot-${tabState(t).dot}`} aria-hidden="true" />
            <span className="tab-title" aria-hidden="true">
              {t.title}
            </span>
            <span id={`${t.id}-state`} className="visually-hidden">
              {tabState(t).text}
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
