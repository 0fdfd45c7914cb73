import { useState } from 'react';
import type { ServerDetails } from '../../electron/common/contract.ts';
import { ACTION_PROGRESS, actionButtons, type ActionButton } from '../logic/server-state.ts';
import { serverKey } from '../store/server-info.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { useApp } from './context.ts';

/**
 * The power actions of one server, enabled by its state (server-state.ts). Those that interrupt users ask first;
 * Nova's refusal is shown as Nova words it.
 */
export function ServerActions({ cloud, server, details }: { cloud: string; server: string; details: ServerDetails }) {
  const info = useApp((s) => s.serverInfo[serverKey(cloud, server)]);
  const run = useApp((s) => s.runServerAction);
  const [asking, setAsking] = useState<ActionButton>();
  const busy = info?.busy;

  return (
    <div className="server-actions">
      <div className="action-buttons" role="group" aria-label="Power actions">
        {actionButtons(details, busy).map((b) => (
          <button
            key={b.action}
            disabled={!b.enabled}
            onClick={() => {
              if (b.confirm) setAsking(b);
              else void run(cloud, server, b.action);
            }}
          >
            {busy === b.action ? ACTION_PROGRESS[b.action] : b.label}
          </button>
        ))}
      </div>
      {info?.actionError && (
        <p className="action-error" role="alert">
          {info.actionError}
        </p>
      )}
      {asking?.confirm && (
        <ConfirmDialog
          title={`${asking.label} ${details.name}?`}
          message={asking.confirm}
          confirmLabel={asking.label}
          onCancel={() => setAsking(undefined)}
          onConfirm={() => {
            setAsking(undefined);
            void run(cloud, server, asking.action);
          }}
        />
      )}
    </div>
  );
}
