import { useMemo, useState } from 'react';
import type { CloudSummary } from '../../electron/common/contract.ts';
import { createServerIndexer, searchServers } from '../logic/filter-servers.ts';
import { emptyCloud } from '../store/servers.ts';
import { useApp } from './context.ts';
import { ServerTree } from './ServerTree.tsx';

// A cloud not listed yet: one shared value, so its (empty) search index is not rebuilt on every render.
const NOT_LISTED = emptyCloud();

export function Sidebar() {
  const clouds = useApp((s) => s.clouds);
  const cloudsState = useApp((s) => s.cloudsState);
  const cloudsError = useApp((s) => s.cloudsError);
  const query = useApp((s) => s.query);
  const setQuery = useApp((s) => s.setQuery);
  const loadClouds = useApp((s) => s.loadClouds);

  return (
    <nav className="sidebar" aria-label="Clouds and servers">
      <input
        className="search"
        type="search"
        aria-label="Search servers"
        placeholder="Search by name, id or IP"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {cloudsState === 'loading' && clouds.length === 0 && <p className="muted">Loading clouds…</p>}
      {cloudsState === 'error' && (
        <div className="cloud-error" role="alert">
          <p>The cloud configuration could not be read: {cloudsError}</p>
          <button onClick={() => void loadClouds()}>Retry</button>
        </div>
      )}
      {cloudsState === 'ready' && clouds.length === 0 && (
        <p className="muted">No clouds configured. Add one to clouds.yaml, or show the demo cloud in Settings.</p>
      )}
      <div className="clouds">
        {clouds.map((c) => (
          <CloudSection key={c.name} cloud={c} query={query} />
        ))}
      </div>
    </nav>
  );
}

function CloudSection({ cloud, query }: { cloud: CloudSummary; query: string }) {
  const data = useApp((s) => s.servers[cloud.name]) ?? NOT_LISTED;
  const loadServers = useApp((s) => s.loadServers);
  const openServer = useApp((s) => s.openServer);
  const openConsoleLog = useApp((s) => s.openConsoleLog);
  const showServerDetails = useApp((s) => s.showServerDetails);
  // The index follows the list (a page arriving, a refresh), built from the one before; a keystroke only searches.
  const [indexer] = useState(createServerIndexer);
  const index = useMemo(() => indexer(data.servers), [indexer, data.servers]);
  const visible = useMemo(() => searchServers(index, query), [index, query]);
  const headingId = `cloud-${cloud.name}-heading`;
  const count = query ? `${visible.length} of ${data.servers.length}` : `${data.servers.length}`;
  // Before the cloud's first answer the number is unknown: "…", not a "0" that reads as an empty cloud. While pages
  // stream in or a refresh runs, the number so far with "…": a bare number means the list is complete.
  const unknown = data.state === 'idle' || (data.state === 'loading' && data.servers.length === 0);
  const settling = data.more || data.state === 'loading';

  return (
    <section className="cloud" aria-labelledby={headingId}>
      <header className="cloud-header">
        <h2 id={headingId} title={cloud.authUrl}>
          {cloud.label}
        </h2>
        <span className="count" aria-label={unknown ? 'Servers loading' : `${count} servers`}>
          {unknown ? '' : count}
          {settling ? '…' : ''}
        </span>
        <button className="icon" aria-label={`Refresh ${cloud.label}`} title="Refresh" onClick={() => void loadServers(cloud.name)}>
          ⟳
        </button>
      </header>
      {/* Only admins may list other projects' servers (Nova's policy); the cloud says so once signed in to. */}
      {cloud.isAdmin && (
        <label className="all-projects">
          <input
            type="checkbox"
            checked={data.allProjects}
            onChange={(e) => void loadServers(cloud.name, { allProjects: e.target.checked })}
          />
          All projects
        </label>
      )}
      {data.state === 'loading' && data.servers.length === 0 && <p className="muted">Loading servers…</p>}
      {data.state === 'error' && (
        <div className="cloud-error" role="alert">
          <p>
            {/* "Cannot be reached" only when nothing answered; a cloud that answered with a failure says what it said. */}
            {cloud.label} {data.errorCode === 'unreachable' ? 'cannot be reached' : 'could not list its servers'}: {data.error}
          </p>
          <button onClick={() => void loadServers(cloud.name)}>Retry</button>
        </div>
      )}
      {data.state === 'ready' && visible.length === 0 && (
        <p className="muted">{query ? 'No server matches.' : 'No servers.'}</p>
      )}
      <ServerTree
        label={cloud.label}
        idPrefix={`cloud-${cloud.name.replace(/[^A-Za-z0-9_-]/g, '_')}`}
        servers={visible}
        onOpen={(s, protocol) => void openServer(cloud.name, s, protocol)}
        onConsoleLog={(s) => openConsoleLog(cloud.name, s)}
        onDetails={(s) => void showServerDetails(cloud.name, s)}
      />
    </section>
  );
}
