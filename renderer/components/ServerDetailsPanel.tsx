import { useEffect } from 'react';
import type { ServerDetails } from '../../electron/common/contract.ts';
import type { ConsoleTab } from '../store/types.ts';
import { pollDelay, serverKey } from '../store/server-info.ts';
import { startPolling } from '../logic/poll.ts';
import { powerStateText } from '../logic/server-state.ts';
import { ServerActions } from './ServerActions.tsx';
import { useApp, useAppStore } from './context.ts';
import { usePageVisible } from './use-page-visible.ts';

/**
 * The server beside its console (cloud console tabs only): a collapsible side panel with its details and power
 * actions. While the tab and the window are visible the server is asked about every few seconds (fast while it is
 * changing), which is also what lets the console follow it (store/server-follow.ts), panel open or not.
 */
export function ServerDetailsPanel({ tab, active }: { tab: ConsoleTab; active: boolean }) {
  if (tab.origin.kind !== 'server') return null;
  return <ServerSide cloud={tab.origin.cloud} server={tab.origin.serverId} name={tab.title} active={active} />;
}

function ServerSide({ cloud, server, name, active }: { cloud: string; server: string; name: string; active: boolean }) {
  const store = useAppStore();
  const visible = usePageVisible();
  const key = serverKey(cloud, server);
  const info = useApp((s) => s.serverInfo[key]);
  const open = useApp((s) => s.detailsOpen);
  const setOpen = useApp((s) => s.setDetailsOpen);
  const actions = info?.actions ?? 0;

  useEffect(() => {
    if (!active || !visible) return;
    // Restarted by an action (`actions`), so the first answer after it comes at once, then fast.
    return startPolling(
      () => store.getState().refreshServer(cloud, server),
      () => pollDelay(store.getState().serverInfo[key], Date.now()),
    );
  }, [store, cloud, server, key, active, visible, actions]);

  if (!open) return null;
  const d = info?.details;
  return (
    <aside className="server-details" aria-label={`Server details: ${name}`}>
      <header className="details-header">
        <h2>{d?.name ?? name}</h2>
        <button className="icon" aria-label="Hide details" title="Hide details" onClick={() => setOpen(false)}>
          ×
        </button>
      </header>
      {info?.error && (
        <p className="details-error" role="alert">
          {d ? 'The details could not be refreshed: ' : 'The details could not be loaded: '}
          {info.error}
        </p>
      )}
      {!d && !info?.error && <p className="muted">Loading details…</p>}
      {d && (
        <>
          <ServerFacts d={d} />
          <ServerActions cloud={cloud} server={server} details={d} />
        </>
      )}
    </aside>
  );
}

function ServerFacts({ d }: { d: ServerDetails }) {
  const networks = [...new Set(d.addresses.map((a) => a.network))];
  const flavorSize = [
    d.flavor.vcpus !== undefined ? `${d.flavor.vcpus} vCPU` : '',
    d.flavor.ramMiB !== undefined ? `${d.flavor.ramMiB >= 1024 ? `${+(d.flavor.ramMiB / 1024).toFixed(1)} GiB` : `${d.flavor.ramMiB} MiB`} RAM` : '',
    d.flavor.diskGiB !== undefined ? `${d.flavor.diskGiB} GiB disk` : '',
  ].filter(Boolean);
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd aria-live="polite" data-field="status">
        {d.status}
      </dd>
      <dt>Task</dt>
      <dd data-field="task">{d.taskState ?? 'None'}</dd>
      <dt>Power state</dt>
      <dd data-field="power">{powerStateText(d.powerState)}</dd>
      {d.status.toUpperCase() === 'ERROR' && d.fault && (
        <>
          <dt>Fault</dt>
          <dd className="fault">
            {d.fault.message} ({d.fault.code})
          </dd>
        </>
      )}
      <dt>IP addresses</dt>
      <dd>
        {networks.length === 0 && 'None'}
        {networks.map((net) => (
          <div key={net} className="network">
            <span className="muted">{net}</span>
            <ul className="plain">
              {d.addresses
                .filter((a) => a.network === net)
                .map((a) => (
                  <li key={a.address} className="mono">
                    {a.address}
                    {a.type ? ` (${a.type})` : ''}
                  </li>
                ))}
            </ul>
          </div>
        ))}
      </dd>
      <dt>Flavor</dt>
      <dd>
        {d.flavor.name ?? d.flavor.id ?? 'Unknown'}
        {flavorSize.length > 0 && <span className="muted"> · {flavorSize.join(', ')}</span>}
      </dd>
      <dt>Image</dt>
      <dd>{d.image ? (d.image.name ?? d.image.id) : 'Booted from volume'}</dd>
      <dt>Created</dt>
      <dd>
        <time dateTime={d.created}>{formatTime(d.created)}</time>
      </dd>
      <dt>Project</dt>
      <dd className="mono">{d.projectId}</dd>
      {d.host && (
        <>
          <dt>Host</dt>
          <dd>{d.host}</dd>
        </>
      )}
      {d.hypervisorHostname && (
        <>
          <dt>Hypervisor</dt>
          <dd>{d.hypervisorHostname}</dd>
        </>
      )}
    </dl>
  );
}

function formatTime(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : t.toLocaleString();
}

/** The toolbar buttons of a cloud console tab: the details panel's toggle and the server's console log. */
export function ServerToolbarButtons({ tab }: { tab: ConsoleTab }) {
  const open = useApp((s) => s.detailsOpen);
  const setOpen = useApp((s) => s.setDetailsOpen);
  const openConsoleLog = useApp((s) => s.openConsoleLog);
  const origin = tab.origin;
  if (origin.kind !== 'server') return null;
  return (
    <>
      <button aria-pressed={open} onClick={() => setOpen(!open)}>
        Details
      </button>
      <button onClick={() => openConsoleLog(origin.cloud, { id: origin.serverId, name: tab.title })}>Console log</button>
    </>
  );
}
