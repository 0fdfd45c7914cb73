import { useEffect, useRef } from 'react';
import { ConsoleLogView } from './ConsoleLogView.tsx';
import { ConsoleUrlBar, useSubmitConsoleText } from './ConsoleUrlBar.tsx';
import { errorMessage } from '../api/console-api.ts';
import { Dialogs } from './Dialogs.tsx';
import { Sidebar } from './Sidebar.tsx';
import { TabPanel, toggleFullscreen } from './TabPanel.tsx';
import { TabStrip } from './TabStrip.tsx';
import { useApp, useAppStore } from './context.ts';

/** True when the event comes from a remote display: those keys belong to the remote machine. */
const inDisplay = (target: EventTarget | null) => target instanceof Element && target.closest('.display') !== null;
const inEditable = (target: EventTarget | null) =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

export function App() {
  const store = useAppStore();
  const tabs = useApp((s) => s.tabs);
  const activeTabId = useApp((s) => s.activeTabId);
  const fatal = useApp((s) => s.fatal);
  const mode = useApp((s) => s.mode);
  const openDialog = useApp((s) => s.openDialog);
  const urlRef = useRef<HTMLInputElement>(null);
  const submitText = useSubmitConsoleText();
  // The paste handler below is installed once; it reads the latest submit function through this ref.
  const submitRef = useRef(submitText);
  useEffect(() => {
    submitRef.current = submitText;
  }, [submitText]);

  useEffect(() => {
    // App shortcuts apply when no display has focus; a focused display passes keys to the remote machine, and the
    // engine's host key hands focus back.
    const onKeyDown = (e: KeyboardEvent) => {
      if (inDisplay(e.target)) return;
      const s = store.getState();
      if (s.dialog || s.trustPrompts.length > 0) return;
      const key = e.key.toLowerCase();
      if (e.ctrlKey && !e.altKey && key === 'l') {
        e.preventDefault();
        urlRef.current?.focus();
        urlRef.current?.select();
      } else if (e.ctrlKey && e.key === 'Tab') {
        e.preventDefault();
        s.cycleTab(e.shiftKey ? -1 : 1);
      } else if (e.ctrlKey && !e.shiftKey && key === 'w') {
        if (s.activeTabId) {
          e.preventDefault();
          void s.closeTab(s.activeTabId);
        }
      } else if (e.ctrlKey && e.shiftKey && (e.key === 'PageUp' || e.key === 'PageDown')) {
        if (s.activeTabId) {
          e.preventDefault();
          s.moveTab(s.activeTabId, e.key === 'PageUp' ? -1 : 1);
        }
      } else if (e.key === 'F11') {
        // A console log has no display to show fullscreen.
        if (s.activeTabId && s.tabs.find((t) => t.id === s.activeTabId)?.kind === 'console') {
          e.preventDefault();
          const tabId = s.activeTabId;
          toggleFullscreen(tabId).catch((err: unknown) => s.reportProblem(tabId, `Fullscreen was refused: ${errorMessage(err)}`));
        }
      }
    };
    // Pasting anywhere outside a session and outside a text field opens what was pasted.
    const onPaste = (e: ClipboardEvent) => {
      if (inDisplay(e.target) || inEditable(e.target)) return;
      const text = e.clipboardData?.getData('text') ?? '';
      if (!text.trim()) return;
      e.preventDefault();
      void submitRef.current(text);
    };
    window.addEventListener('keydown', onKeyDown);
    document.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      document.removeEventListener('paste', onPaste);
    };
  }, [store]);

  return (
    <div className="app">
      <header className="topbar">
        <ConsoleUrlBar inputRef={urlRef} />
        <button className="icon" aria-label="Settings" title="Settings" onClick={() => openDialog({ kind: 'settings' })}>
          ⚙
        </button>
      </header>
      {fatal && (
        <div className="fatal" role="alert">
          {fatal}
          {mode === 'browser' ? ' Restart the app and open its new address.' : ''}
        </div>
      )}
      <div className="body">
        <Sidebar />
        <main className="consoles">
          <TabStrip />
          {tabs.length === 0 && (
            <div className="empty">
              <p>Pick a server on the left, or paste a console URL or address.</p>
            </div>
          )}
          {tabs.map((t) =>
            t.kind === 'log' ? (
              <ConsoleLogView key={t.id} tab={t} active={t.id === activeTabId} />
            ) : (
              <TabPanel key={t.id} tab={t} active={t.id === activeTabId} />
            ),
          )}
        </main>
      </div>
      <Dialogs />
    </div>
  );
}
