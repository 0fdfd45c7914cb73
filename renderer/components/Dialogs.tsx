import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { CertificateInfo, CloudSummary } from '../../electron/common/contract.ts';
import { errorMessage } from '../api/console-api.ts';
import { useApp } from './context.ts';
import { grantEndpoint } from '../store/types.ts';

/** A modal: focus moves into it, Escape cancels, and it is named by its heading. */
function Modal({ title, onCancel, children, alert }: { title: string; onCancel: () => void; children: ReactNode; alert?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = `dialog-${useId()}`;
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>('input, select, button');
    first?.focus();
  }, []);
  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className="modal"
        role={alert ? 'alertdialog' : 'dialog'}
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onCancel();
          }
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </div>
  );
}

export function Dialogs() {
  const prompt = useApp((s) => s.trustPrompts[0]);
  const dialog = useApp((s) => s.dialog);
  if (prompt) return <TrustDialog />;
  if (dialog?.kind === 'credentials') return <CredentialsDialog tabId={dialog.tabId} />;
  if (dialog?.kind === 'settings') return <SettingsDialog />;
  return null;
}

function CertificateFields({ cert }: { cert: CertificateInfo }) {
  return (
    <dl className="cert">
      <dt>Endpoint</dt>
      <dd>{cert.endpoint}</dd>
      <dt>SHA-256 fingerprint</dt>
      <dd className="mono">{cert.fingerprint}</dd>
      <dt>Subject</dt>
      <dd>{cert.subject}</dd>
      <dt>Issuer</dt>
      <dd>{cert.issuer}</dd>
      <dt>Valid</dt>
      <dd>
        {cert.validFrom} – {cert.validTo}
      </dd>
    </dl>
  );
}

function TrustDialog() {
  const prompt = useApp((s) => s.trustPrompts[0]);
  const decideTrust = useApp((s) => s.decideTrust);
  const tabTitle = useApp((s) => s.tabs.find((t) => t.grant?.sessionId === prompt.sessionId)?.title);
  const changed = prompt.reason === 'changed';
  return (
    <Modal title={changed ? 'The server certificate has changed' : 'Trust this server certificate?'} alert onCancel={() => void decideTrust(prompt.promptId, 'reject')}>
      <p>
        {changed
          ? `The certificate of ${prompt.certificate.endpoint}${tabTitle ? ` (${tabTitle})` : ''} is not the one pinned earlier. This happens when the host was reinstalled or its certificate renewed, and also when someone intercepts the connection. Check the fingerprint with the host's administrator before trusting it.`
          : `${prompt.certificate.endpoint}${tabTitle ? ` (${tabTitle})` : ''} presented a certificate this app has not seen before.`}
      </p>
      {/* A changed certificate shows both, open: comparing the fingerprints is the whole point of the question. */}
      {prompt.previous ? (
        <>
          <h3>Presented now</h3>
          <CertificateFields cert={prompt.certificate} />
          <h3>Pinned earlier</h3>
          <CertificateFields cert={prompt.previous} />
        </>
      ) : (
        <CertificateFields cert={prompt.certificate} />
      )}
      <div className="buttons">
        <button onClick={() => void decideTrust(prompt.promptId, 'reject')}>Reject</button>
        <button onClick={() => void decideTrust(prompt.promptId, 'trust-once')}>Trust once</button>
        <button className="primary" onClick={() => void decideTrust(prompt.promptId, 'trust-always')}>
          Trust always
        </button>
      </div>
    </Modal>
  );
}

function CredentialsDialog({ tabId }: { tabId: string }) {
  const tab = useApp((s) => s.tabs.find((t) => t.id === tabId));
  const submit = useApp((s) => s.submitCredentials);
  const close = useApp((s) => s.closeDialog);
  const error = useApp((s) => s.dialogError);
  const known = tab?.credentials ?? (tab?.grant?.protocol === 'rdp' ? tab.grant.credentials : undefined) ?? tab?.userHint;
  const [username, setUsername] = useState(known?.username ?? '');
  const [password, setPassword] = useState('');
  const [domain, setDomain] = useState(known?.domain ?? '');
  const [remember, setRemember] = useState(false);
  if (!tab) return null;
  // VNC authentication is a password alone; it is not remembered (the keychain entries are per user name).
  const passwordOnly = tab.grant?.protocol === 'vnc';
  return (
    <Modal title={passwordOnly ? `Password for ${tab.title}` : `Sign in to ${tab.title}`} onCancel={close}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(tabId, passwordOnly ? { username: '', password } : { username, password, ...(domain ? { domain } : {}) }, !passwordOnly && remember);
        }}
      >
        {!passwordOnly && (
          <label>
            User name
            <input value={username} autoComplete="username" onChange={(e) => setUsername(e.target.value)} required />
          </label>
        )}
        <label>
          Password
          <input type="password" value={password} autoComplete="current-password" onChange={(e) => setPassword(e.target.value)} />
        </label>
        {!passwordOnly && (
          <>
            <label>
              Domain
              <input value={domain} onChange={(e) => setDomain(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
              Remember for {tab.grant ? grantEndpoint(tab.grant) : 'this host'}
            </label>
          </>
        )}
        {error && <p role="alert">{error}</p>}
        <div className="buttons">
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Connect
          </button>
        </div>
      </form>
    </Modal>
  );
}

function SettingsDialog() {
  const close = useApp((s) => s.closeDialog);
  const settings = useApp((s) => s.settings);
  const clouds = useApp((s) => s.clouds);
  const certificates = useApp((s) => s.certificates);
  const loadSettings = useApp((s) => s.loadSettings);
  const loadCertificates = useApp((s) => s.loadCertificates);
  const setHideDemoCloud = useApp((s) => s.setHideDemoCloud);
  const revoke = useApp((s) => s.revokeCertificate);
  const [error, setError] = useState<string>();
  const guard = (p: Promise<unknown>) => p.then(() => setError(undefined)).catch((e) => setError(errorMessage(e)));

  useEffect(() => {
    // Settings were loaded at start and every change returns them; reloading here could race a click.
    void guard(Promise.all([settings ? undefined : loadSettings(), loadCertificates()]));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <Modal title="Settings" onCancel={close}>
      <section aria-labelledby="settings-clouds">
        <h3 id="settings-clouds">Clouds</h3>
        <p className="muted">Clouds come from clouds.yaml (and OS_* variables); edit that file to add or change one.</p>
        <ul className="plain">
          {clouds.map((c) => (
            <li key={c.name}>
              <strong>{c.label}</strong> <span className="muted">{c.authUrl}</span>
            </li>
          ))}
        </ul>
        <label className="check">
          <input
            type="checkbox"
            checked={settings?.hideDemoCloud ?? false}
            disabled={!settings}
            onChange={(e) => void guard(setHideDemoCloud(e.target.checked))}
          />
          Hide the demo cloud
        </label>
      </section>
      <section aria-labelledby="settings-creds">
        <h3 id="settings-creds">Console credentials</h3>
        <p className="muted">Used to sign in to every console of a cloud, unless credentials were remembered for that host.</p>
        {clouds.map((c) => (
          <CloudCredentials key={c.name} cloud={c} onError={setError} />
        ))}
      </section>
      <section aria-labelledby="settings-certs">
        <h3 id="settings-certs">Trusted certificates</h3>
        {certificates.length === 0 && <p className="muted">No certificates pinned.</p>}
        <ul className="plain certs">
          {certificates.map((c) => (
            <li key={c.endpoint}>
              <CertificateFields cert={c} />
              <button onClick={() => void guard(revoke(c.endpoint))}>Revoke {c.endpoint}</button>
            </li>
          ))}
        </ul>
      </section>
      {error && <p role="alert">{error}</p>}
      <div className="buttons">
        <button className="primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

type CloudCredentialsProps = { cloud: CloudSummary; onError: (message: string | undefined) => void };

/** A cloud's console credentials; the form starts over whenever the saved user or domain changes. */
function CloudCredentials(props: CloudCredentialsProps) {
  const saved = useApp((s) => s.settings?.consoleCredentials[props.cloud.name]);
  return <CloudCredentialsForm key={`${saved?.username ?? ''}\n${saved?.domain ?? ''}`} {...props} />;
}

function CloudCredentialsForm({ cloud, onError }: CloudCredentialsProps) {
  const saved = useApp((s) => s.settings?.consoleCredentials[cloud.name]);
  const setConsoleCredentials = useApp((s) => s.setConsoleCredentials);
  const [username, setUsername] = useState(saved?.username ?? '');
  const [password, setPassword] = useState('');
  const [domain, setDomain] = useState(saved?.domain ?? '');
  const run = (p: Promise<unknown>) => p.then(() => onError(undefined)).catch((e) => onError(errorMessage(e)));
  return (
    <form
      className="form inline"
      aria-label={`Console credentials for ${cloud.label}`}
      onSubmit={(e) => {
        e.preventDefault();
        void run(setConsoleCredentials(cloud.name, { username, password, ...(domain ? { domain } : {}) }));
        setPassword('');
      }}
    >
      <strong>{cloud.label}</strong>
      <input aria-label="User name" placeholder="User name" value={username} onChange={(e) => setUsername(e.target.value)} required />
      <input
        aria-label="Password"
        type="password"
        placeholder={saved?.hasPassword ? '(saved)' : 'Password'}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <input aria-label="Domain" placeholder="Domain" value={domain} onChange={(e) => setDomain(e.target.value)} />
      <button type="submit">Save</button>
      {saved && (
        <button type="button" onClick={() => void run(setConsoleCredentials(cloud.name, null))}>
          Clear
        </button>
      )}
    </form>
  );
}
