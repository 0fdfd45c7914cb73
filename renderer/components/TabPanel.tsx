import { useEffect, useRef, useState } from 'react';
import type { Tab } from '../store/types.ts';
import type { DisplaySession, InputMode, ScaleMode } from '../display/display-engine.ts';
import { HOST_KEY_LABEL } from '../display/host-key.ts';
import { errorMessage } from '../api/console-api.ts';
import { useApp, useEngine } from './context.ts';
import { panelDomId, tabDomId } from './TabStrip.tsx';

export const displayAreaId = (tabId: string) => `${tabId}-display`;

/** Fullscreen for a tab's display area (toolbar button, F11). */
export async function toggleFullscreen(tabId: string): Promise<void> {
  if (document.fullscreenElement) await document.exitFullscreen();
  else await document.getElementById(displayAreaId(tabId))?.requestFullscreen();
}

/**
 * One console: toolbar, the remote display (a canvas the engine draws into directly) and a status line. Panels of
 * inactive tabs stay mounted (hidden), so their sessions keep running.
 */
export function TabPanel({ tab, active }: { tab: Tab; active: boolean }) {
  const engine = useEngine();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const sessionRef = useRef<DisplaySession | null>(null);
  const [scale, setScale] = useState<ScaleMode>('fit');
  const [inputMode, setInputMode] = useState<InputMode>(engine.inputModes[0]?.id ?? 'scancode');
  const showNote = useApp((s) => s.showNote);
  const setNote = (message: string) => showNote(tab.id, message);
  const setTabState = useApp((s) => s.setTabState);
  const reconnect = useApp((s) => s.reconnect);
  const openDialog = useApp((s) => s.openDialog);
  const reportProblem = useApp((s) => s.reportProblem);
  const { grant, attempt } = tab;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!grant || !canvas) return;
    const session = engine.connect(canvas, grant, tab.credentials ?? grant.credentials, {
      onConnected: () => setTabState(tab.id, attempt, 'connected'),
      onProblem: (message) => reportProblem(tab.id, message),
      onDisconnected: (reason) => setTabState(tab.id, attempt, 'disconnected', reason, 'engine'),
      onCredentialsNeeded: (reason) => {
        setTabState(tab.id, attempt, 'disconnected', reason, 'login');
        openDialog({ kind: 'credentials', tabId: tab.id });
      },
    });
    session.setScaleMode(scale);
    session.setInputMode(inputMode);
    sessionRef.current = session;
    return () => {
      sessionRef.current = null;
      session.close();
    };
    // A new grant (reconnect) is what starts a new session; scale and input mode apply to the running one below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [grant?.sessionId, attempt, engine]);

  useEffect(() => sessionRef.current?.setScaleMode(scale), [scale]);
  useEffect(() => sessionRef.current?.setInputMode(inputMode), [inputMode]);

  const live = tab.state === 'connected';
  const status =
    tab.state === 'connected' ? 'Connected' : tab.state === 'disconnected' ? `Disconnected: ${tab.reason ?? 'the session ended.'}` : 'Connecting…';

  async function typeClipboard() {
    try {
      const text = await navigator.clipboard.readText();
      if (text) sessionRef.current?.typeText(text);
      else setNote('The clipboard holds no text.');
    } catch {
      setNote('The clipboard cannot be read here (the browser refused access).');
    }
  }

  async function screenshot() {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const fromCanvas = () => new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    // The engine's own PNG where it can make one; if it fails, the canvas holds the same frame, so nothing is lost.
    const blob = (await sessionRef.current?.screenshot?.().catch(() => null)) ?? (await fromCanvas());
    if (!blob) return setNote('The screenshot could not be taken.');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    a.download = `${tab.title.replace(/[^\p{L}\p{N}._-]+/gu, '_')}-${stamp}.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  return (
    <div id={panelDomId(tab.id)} role="tabpanel" aria-labelledby={tabDomId(tab.id)} className="tab-panel" hidden={!active}>
      <div className="toolbar" role="toolbar" aria-label={`Console actions: ${tab.title}`}>
        <button disabled={!live} onClick={() => sessionRef.current?.ctrlAltDel()}>
          Ctrl+Alt+Del
        </button>
        <button disabled={!live} onClick={() => void typeClipboard()}>
          Type clipboard
        </button>
        <label>
          Scale
          <select value={scale} onChange={(e) => setScale(e.target.value as ScaleMode)}>
            <option value="fit">Fit window</option>
            <option value="actual">1:1</option>
            <option value="dynamic">Resize remote</option>
          </select>
        </label>
        <label>
          Keyboard
          <select value={inputMode} onChange={(e) => setInputMode(e.target.value as InputMode)}>
            {engine.inputModes.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <button onClick={() => void toggleFullscreen(tab.id).catch((err: unknown) => reportProblem(tab.id, `Fullscreen was refused: ${errorMessage(err)}`))}>
          Fullscreen
        </button>
        <button disabled={!grant} onClick={() => void screenshot()}>
          Screenshot
        </button>
        <button disabled={!grant} onClick={() => openDialog({ kind: 'credentials', tabId: tab.id })}>
          Credentials…
        </button>
      </div>
      <div id={displayAreaId(tab.id)} className={`display-area scale-${scale}`}>
        {grant ? (
          <canvas
            ref={canvasRef}
            className="display"
            tabIndex={0}
            aria-label={`Remote display: ${tab.title}`}
            onMouseDown={() => sessionRef.current?.focus()}
          />
        ) : tab.state === 'disconnected' ? (
          <div className="no-console">
            <h2>No console for {tab.title}</h2>
            <p>{tab.reason}</p>
          </div>
        ) : null}
      </div>
      <div className="status-line">
        <span className={`dot dot-${tab.state}`} aria-hidden="true" />
        <span role="status">{status}</span>
        {tab.state === 'disconnected' && <button onClick={() => void reconnect(tab.id)}>Reconnect</button>}
        {live && <span className="muted hint">{HOST_KEY_LABEL} gives the keyboard back to the app</span>}
        {tab.note && (
          <span className="note" role="alert">
            {tab.note}
          </span>
        )}
      </div>
    </div>
  );
}
