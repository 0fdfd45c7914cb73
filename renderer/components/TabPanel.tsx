import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ConsoleTab } from '../store/types.ts';
import { consoleStatusText } from '../store/server-follow.ts';
import { ServerDetailsPanel, ServerToolbarButtons } from './ServerDetailsPanel.tsx';
import type { ConsoleSession, InputMode, ScaleMode } from '../consoles/console-view.ts';
import { backendFor } from '../consoles/registry.ts';
import { HOST_KEY_LABEL } from '../consoles/host-key.ts';
import { errorMessage } from '../api/console-api.ts';
import { useApp, useConsoleBackends } from './context.ts';
import { panelDomId, tabDomId } from './TabStrip.tsx';

export const displayAreaId = (tabId: string) => `${tabId}-display`;

/** How long a display engine's report of an end waits for the gateway's or relay's (see the connect effect). */
const ENGINE_END_GRACE_MS = 250;

/** Re-renders every second while subscribed (the countdown to the next reconnect try). */
function subscribeSeconds(onChange: () => void): () => void {
  const timer = setInterval(onChange, 1000);
  return () => clearInterval(timer);
}
const subscribeNever = () => () => undefined;

/**
 * The time as the countdown to `at` sees it, stepping once a second on the countdown's own seconds (a snapshot must be
 * stable between ticks): "in 1 s" is shown for the whole last second, never one second too many.
 */
function useCountdownNow(at: number | undefined): number {
  return useSyncExternalStore(at === undefined ? subscribeNever : subscribeSeconds, () =>
    at === undefined ? 0 : at - Math.ceil((at - Date.now()) / 1000) * 1000,
  );
}

/** Fullscreen for a tab's display area (toolbar button, F11). */
export async function toggleFullscreen(tabId: string): Promise<void> {
  if (document.fullscreenElement) await document.exitFullscreen();
  else await document.getElementById(displayAreaId(tabId))?.requestFullscreen();
}

const SCALE_LABELS: Record<ScaleMode, string> = { fit: 'Fit window', actual: '1:1', dynamic: 'Resize remote' };

/**
 * One console, whatever its protocol: a toolbar built from the backend's capabilities, the remote display (the
 * backend draws into the display area directly) and a status line. Panels of inactive tabs stay mounted (hidden),
 * so their sessions keep running.
 */
export function TabPanel({ tab, active }: { tab: ConsoleTab; active: boolean }) {
  const backends = useConsoleBackends();
  const areaRef = useRef<HTMLDivElement>(null);
  const sessionRef = useRef<ConsoleSession | null>(null);
  const { grant, attempt } = tab;
  const backend = grant ? backendFor(backends, grant) : undefined;
  const can = backend?.capabilities;
  const [scale, setScale] = useState<ScaleMode>('fit');
  const [inputMode, setInputMode] = useState<InputMode>('scancode');
  const showNote = useApp((s) => s.showNote);
  const setNote = (message: string) => showNote(tab.id, message);
  const setTabState = useApp((s) => s.setTabState);
  const reconnect = useApp((s) => s.reconnect);
  const stopReconnecting = useApp((s) => s.stopReconnecting);
  const openDialog = useApp((s) => s.openDialog);
  const reportProblem = useApp((s) => s.reportProblem);

  useEffect(() => {
    const container = areaRef.current;
    if (!grant || !backend || !container) return;
    const known = tab.credentials ?? (grant.protocol === 'rdp' ? grant.credentials : undefined);
    // The gateway or relay saw the far side of an end and names its cause; the display engine sees a closed socket
    // and can only guess (IronRDP takes a server that ends a live session for a failed login). Their reports travel
    // on different sockets, so the engine's waits a moment: when both come, the tab shows the other's alone
    // (REASON_RANK in store/tabs.ts), instead of the guess and then the cause.
    let engineEnd: ReturnType<typeof setTimeout> | undefined;
    const session = backend.connect({ container, label: `Remote display: ${tab.title}` }, grant, known, {
      onConnected: () => setTabState(tab.id, attempt, 'connected'),
      onProblem: (message) => reportProblem(tab.id, message),
      onDisconnected: (reason) => {
        clearTimeout(engineEnd);
        engineEnd = setTimeout(() => setTabState(tab.id, attempt, 'disconnected', reason, 'engine'), ENGINE_END_GRACE_MS);
      },
      onCredentialsNeeded: (reason) => {
        setTabState(tab.id, attempt, 'disconnected', reason, 'login');
        openDialog({ kind: 'credentials', tabId: tab.id });
      },
    });
    session.setScaleMode(scale);
    session.setInputMode(inputMode);
    sessionRef.current = session;
    return () => {
      clearTimeout(engineEnd);
      sessionRef.current = null;
      session.close();
    };
    // A new grant (reconnect) is what starts a new session; scale and input mode apply to the running one below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [grant?.sessionId, attempt, backend]);

  useEffect(() => sessionRef.current?.setScaleMode(scale), [scale]);
  useEffect(() => sessionRef.current?.setInputMode(inputMode), [inputMode]);

  const live = tab.state === 'connected';
  const retry = tab.autoReconnect;
  // The countdown to the next try ticks while the tab waits for it.
  const now = useCountdownNow(retry?.phase === 'waiting' ? retry.at : undefined);
  // A paused server keeps its session, and the status line says so (store/server-follow.ts).
  const status = consoleStatusText(tab, retry?.phase === 'waiting' ? now : undefined);

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
    const session = sessionRef.current;
    if (!session) return;
    let blob: Blob;
    try {
      blob = await session.screenshot();
    } catch (err) {
      return setNote(`The screenshot could not be taken: ${errorMessage(err)}`);
    }
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
        {can?.ctrlAltDel && (
          <button disabled={!live} onClick={() => sessionRef.current?.ctrlAltDel()}>
            Ctrl+Alt+Del
          </button>
        )}
        {can?.copyPaste && (
          <>
            <button disabled={!grant} title="Copy the selection (Ctrl+Shift+C)" onClick={() => sessionRef.current?.copy?.()}>
              Copy
            </button>
            <button disabled={!live} title="Paste (Ctrl+Shift+V)" onClick={() => sessionRef.current?.paste?.()}>
              Paste
            </button>
          </>
        )}
        {can?.typeText && (
          <button disabled={!live} onClick={() => void typeClipboard()}>
            Type clipboard
          </button>
        )}
        {can?.search && (
          <button disabled={!grant} title="Search the output (Ctrl+Shift+F)" onClick={() => sessionRef.current?.openSearch?.()}>
            Search
          </button>
        )}
        {can && can.scaleModes.length > 1 && (
          <label>
            Scale
            <select value={scale} onChange={(e) => setScale(e.target.value as ScaleMode)}>
              {can.scaleModes.map((mode) => (
                <option key={mode} value={mode}>
                  {SCALE_LABELS[mode]}
                </option>
              ))}
            </select>
          </label>
        )}
        {can && can.inputModes.length > 1 && (
          <label>
            Keyboard
            <select value={inputMode} onChange={(e) => setInputMode(e.target.value as InputMode)}>
              {can.inputModes.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.label}
                </option>
              ))}
            </select>
          </label>
        )}
        <button onClick={() => void toggleFullscreen(tab.id).catch((err: unknown) => reportProblem(tab.id, `Fullscreen was refused: ${errorMessage(err)}`))}>
          Fullscreen
        </button>
        {can?.screenshot && (
          <button disabled={!grant} onClick={() => void screenshot()}>
            Screenshot
          </button>
        )}
        {can?.credentials && (
          <button disabled={!grant} onClick={() => openDialog({ kind: 'credentials', tabId: tab.id })}>
            Credentials…
          </button>
        )}
        <ServerToolbarButtons tab={tab} />
      </div>
      {/* The console and, for a cloud server, its details beside it. */}
      <div className="console-body">
        {/* The backend puts its own display element in here (frames never pass through React). */}
        <div id={displayAreaId(tab.id)} ref={areaRef} className={`display-area scale-${scale}`}>
          {grant ? null : tab.state === 'disconnected' ? (
            <div className="no-console">
              <h2>No console for {tab.title}</h2>
              <p>{tab.reason}</p>
            </div>
          ) : null}
        </div>
        <ServerDetailsPanel tab={tab} active={active} />
      </div>
      <div className="status-line">
        <span className={`dot dot-${tab.state}`} aria-hidden="true" />
        <span role="status">{status}</span>
        {tab.state === 'disconnected' && retry?.phase !== 'trying' && (
          <button onClick={() => void reconnect(tab.id)}>{retry?.phase === 'waiting' ? 'Reconnect now' : 'Reconnect'}</button>
        )}
        {retry && retry.phase !== 'gave-up' && <button onClick={() => stopReconnecting(tab.id)}>Stop reconnecting</button>}
        {live && <span className="muted hint">{HOST_KEY_LABEL} gives the keyboard back to the app</span>}
        {/* A problem is announced as an alert; a recovery ("Reconnected") is quiet text beside "Connected". */}
        {tab.note && (
          <span className={tab.noteTone === 'good' ? 'note note-good' : 'note'} role={tab.noteTone === 'good' ? undefined : 'alert'}>
            {tab.note}
          </span>
        )}
      </div>
    </div>
  );
}
