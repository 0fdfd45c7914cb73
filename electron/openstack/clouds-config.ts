import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseDocument, YAMLError } from 'yaml';
import { AppError } from './errors.ts';

export type AuthType = 'password' | 'v3applicationcredential';

/** One cloud, as the client needs it (built from clouds.yaml, OS_* variables, or given by the app). */
export interface CloudConfig {
  /** clouds.yaml key, `envvars`, or a name the app chose (`demo`). */
  name: string;
  label?: string;
  isDemo?: boolean;
  authType: AuthType;
  auth: {
    auth_url: string;
    username?: string;
    user_id?: string;
    password?: string;
    project_name?: string;
    project_id?: string;
    user_domain_name?: string;
    user_domain_id?: string;
    project_domain_name?: string;
    project_domain_id?: string;
    application_credential_id?: string;
    application_credential_name?: string;
    application_credential_secret?: string;
  };
  regionName?: string;
  /** Catalog interface: public (default), internal or admin. */
  interface?: string;
  /** false turns certificate checks off. Default true. */
  verify?: boolean;
  /** Path of a PEM CA bundle. */
  cacert?: string;
  /** PEM text of a CA bundle (programmatic clouds). */
  caPem?: string;
  /** openstacksdk's `compute_endpoint_override`: use this compute URL instead of the catalog's. */
  computeEndpoint?: string;
  /** Per-request timeout (clouds.yaml `api_timeout`, seconds there). */
  timeoutMs?: number;
  /** Where the cloud came from, for messages. */
  source?: string;
}

export interface ConfigSources {
  /** Working directory for `./clouds.yaml` and relative cacert paths. Default process.cwd(). */
  cwd?: string;
  /** Home directory for `~/.config/openstack`. Default os.homedir(). */
  home?: string;
  /** System directory. Default /etc/openstack. */
  siteDir?: string;
  /** Environment. Default process.env. */
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig {
  clouds: CloudConfig[];
  /** OS_CLOUD, when set. */
  selected?: string;
  /** The clouds.yaml and secure.yaml files read. */
  files: string[];
}

const NAMES = ['clouds.yaml', 'clouds.yml', 'clouds.json'];
const SECURE_NAMES = ['secure.yaml', 'secure.yml', 'secure.json'];

/** Keys of `auth:` that openstacksdk also accepts at the top level of a cloud (it moves them). */
const AUTH_KEYS = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'project_name',
  'project_id',
  'tenant_name',
  'tenant_id',
  'user_domain_name',
  'user_domain_id',
  'project_domain_name',
  'project_domain_id',
  'domain_name',
  'domain_id',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
];

/**
 * Reads clouds the way openstacksdk does: the first clouds.yaml found in `./`, `~/.config/openstack/`,
 * `/etc/openstack/` (OS_CLIENT_CONFIG_FILE is looked at before them), secure.yaml from the same places merged over
 * it, and the OS_* variables as a cloud named `envvars`. OS_CLOUD is returned as `selected`.
 */
export function loadCloudConfigs(sources: ConfigSources = {}): LoadedConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const dirs = [cwd, join(sources.home ?? homedir(), '.config', 'openstack'), sources.siteDir ?? '/etc/openstack'];
  const files: string[] = [];

  const main = firstExisting(env.OS_CLIENT_CONFIG_FILE, dirs, NAMES, cwd);
  const secure = firstExisting(env.OS_CLIENT_SECURE_FILE, dirs, SECURE_NAMES, cwd);
  const raw: Record<string, unknown> = {};
  if (main) {
    files.push(main);
    Object.assign(raw, cloudsOf(readYaml(main), main));
  }
  const declared = new Set(Object.keys(raw));
  if (secure) {
    files.push(secure);
    const extra = cloudsOf(readYaml(secure), secure);
    for (const [name, value] of Object.entries(extra)) raw[name] = deepMerge(raw[name], value);
  }

  const clouds: CloudConfig[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const source = main ?? secure ?? 'clouds.yaml';
    if (!isMap(value)) throw new AppError('config', `Cloud '${name}' in ${source} is not a mapping`);
    // secure.yaml may hold secrets for clouds that clouds.yaml does not declare: those are ignored.
    if (!declared.has(name) && !(isMap(value.auth) && value.auth.auth_url)) continue;
    clouds.push(cloudFromYaml(name, value, source, cwd));
  }

  const fromEnv = cloudFromEnv(env, cwd);
  if (fromEnv) {
    if (raw[fromEnv.name]) {
      throw new AppError('config', `${main} defines a cloud named '${fromEnv.name}', which clashes with the cloud made from the OS_* variables; rename one of them`);
    }
    clouds.push(fromEnv);
  }
  const selected = env.OS_CLOUD?.trim() || undefined;
  return { clouds, selected, files };
}

function firstExisting(override: string | undefined, dirs: string[], names: string[], cwd: string): string | undefined {
  if (override) {
    const path = resolvePath(cwd, override);
    if (existsSync(path)) return path;
  }
  for (const dir of dirs) {
    for (const name of names) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

function readYaml(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AppError('config', `Cannot read ${path}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem) throw new AppError('config', `${path} is not valid YAML: ${describeYamlError(problem)}`);
  try {
    return doc.toJS();
  } catch (err) {
    // The yaml library refuses alias bombs (a billion laughs) while building the objects.
    throw new AppError('config', `${path} cannot be read: ${(err as Error).message}`);
  }
}

function describeYamlError(err: YAMLError): string {
  const line = err.linePos?.[0];
  const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return line ? `line ${line.line}, column ${line.col}: ${first}` : first;
}

function cloudsOf(doc: unknown, path: string): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (!isMap(doc)) throw new AppError('config', `${path} must be a mapping with a 'clouds' key`);
  const clouds = doc.clouds;
  if (clouds === undefined || clouds === null) return {};
  if (!isMap(clouds)) throw new AppError('config', `'clouds' in ${path} must be a mapping of cloud names`);
  return clouds;
}

function cloudFromYaml(name: string, value: Record<string, unknown>, source: string, cwd: string): CloudConfig {
  const auth: Record<string, unknown> = isMap(value.auth) ? { ...value.auth } : {};
  if (value.auth !== undefined && !isMap(value.auth)) throw new AppError('config', `'auth' of cloud '${name}' in ${source} must be a mapping`);
  for (const key of AUTH_KEYS) if (auth[key] === undefined && value[key] !== undefined) auth[key] = value[key];

  let verify = value.verify === undefined ? (value.insecure === undefined ? true : !truthy(value.insecure)) : truthy(value.verify);
  let cacert = value.cacert;
  // requests (under openstacksdk) also takes a CA bundle path as `verify`: never read such a path as "false".
  if (typeof value.verify === 'string' && !isBooleanWord(value.verify)) {
    verify = true;
    cacert ??= value.verify;
  }
  const rawTimeout = value.api_timeout;
  // Only a number or a string is a timeout: a mapping (even one with its own toString) is not.
  const timeout = rawTimeout === undefined ? undefined : typeof rawTimeout === 'number' || typeof rawTimeout === 'string' ? Number(rawTimeout) : NaN;
  if (timeout !== undefined && !(timeout > 0)) throw new AppError('config', `'api_timeout' of cloud '${name}' in ${source} must be a positive number of seconds`);
  const region = value.region_name ?? (Array.isArray(value.regions) ? regionOf(value.regions[0]) : undefined);
  return buildCloud(name, auth, {
    authType: value.auth_type,
    regionName: region,
    interface: value.interface ?? value.endpoint_type,
    verify,
    cacert,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    computeEndpoint: value.compute_endpoint_override,
    source,
    cwd,
  });
}

function regionOf(entry: unknown): unknown {
  return isMap(entry) ? entry.name : entry;
}

/** The `envvars` cloud: made when any OS_* variable other than the selectors is set (openstacksdk's rule). */
function cloudFromEnv(env: Record<string, string | undefined>, cwd: string): CloudConfig | undefined {
  const selectors = new Set(['OS_CLOUD', 'OS_REGION_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_CLOUD_NAME']);
  const keys = Object.keys(env).filter(
    (k) => k.startsWith('OS_') && env[k] !== undefined && env[k] !== '' && !selectors.has(k) && !/^OS_(TEST|STD|LOG)/.test(k),
  );
  if (keys.length === 0) return undefined;
  const auth: Record<string, unknown> = {};
  for (const key of AUTH_KEYS) {
    const v = env['OS_' + key.toUpperCase()];
    if (v) auth[key] = v;
  }
  if (!auth.auth_url) return undefined; // only behaviour switches (OS_INSECURE, OS_INTERFACE…) are set
  return buildCloud(env.OS_CLOUD_NAME || 'envvars', auth, {
    authType: env.OS_AUTH_TYPE,
    regionName: env.OS_REGION_NAME,
    interface: env.OS_INTERFACE ?? env.OS_ENDPOINT_TYPE,
    verify: env.OS_INSECURE === undefined ? true : !truthy(env.OS_INSECURE),
    cacert: env.OS_CACERT,
    source: 'the OS_* environment variables',
    cwd,
  });
}

function buildCloud(
  name: string,
  auth: Record<string, unknown>,
  o: {
    authType: unknown;
    regionName: unknown;
    interface: unknown;
    verify: boolean;
    cacert: unknown;
    timeoutMs?: number;
    computeEndpoint?: unknown;
    source: string;
    cwd: string;
  },
): CloudConfig {
  const where = `cloud '${name}' (${o.source})`;
  const str = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw new AppError('config', `'${key}' of ${where} must be a string`);
  };
  const a: CloudConfig['auth'] = { auth_url: str(auth.auth_url, 'auth_url') ?? '' };
  for (const key of AUTH_KEYS) {
    if (key === 'auth_url') continue;
    const v = str(auth[key], key);
    if (v === undefined) continue;
    // Keystone v2 names and the shared domain keys, as openstacksdk maps them.
    if (key === 'tenant_name') a.project_name ??= v;
    else if (key === 'tenant_id') a.project_id ??= v;
    else if (key === 'domain_name') {
      a.user_domain_name ??= v;
      a.project_domain_name ??= v;
    } else if (key === 'domain_id') {
      a.user_domain_id ??= v;
      a.project_domain_id ??= v;
    } else (a as Record<string, string>)[key] = v;
  }
  if (!a.auth_url) throw new AppError('config', `${where} has no auth_url`);
  try {
    const u = new URL(a.auth_url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new AppError('config', `auth_url of ${where} is not an http(s) URL: ${JSON.stringify(a.auth_url)}`);
  }

  const typeText = str(o.authType, 'auth_type')?.toLowerCase().replace(/-/g, '_');
  let authType: AuthType;
  if (typeText === undefined) authType = a.application_credential_secret ? 'v3applicationcredential' : 'password';
  else if (typeText === 'password' || typeText === 'v3password') authType = 'password';
  else if (['v3applicationcredential', 'application_credential', 'v3_application_credential'].includes(typeText)) authType = 'v3applicationcredential';
  else throw new AppError('config', `auth_type '${typeText}' of ${where} is not supported (use password or v3applicationcredential)`);

  if (authType === 'password' && !(a.username || a.user_id)) throw new AppError('config', `${where} has no username`);
  if (authType === 'v3applicationcredential') {
    if (!a.application_credential_secret) throw new AppError('config', `${where} has no application_credential_secret`);
    if (!a.application_credential_id && !(a.application_credential_name && (a.username || a.user_id))) {
      throw new AppError('config', `${where} needs application_credential_id (or its name and the username)`);
    }
  }
  const iface = str(o.interface, 'interface')?.toLowerCase().replace(/url$/, '');
  if (iface !== undefined && !['public', 'internal', 'admin'].includes(iface)) {
    throw new AppError('config', `interface '${iface}' of ${where} must be public, internal or admin`);
  }
  const cacert = str(o.cacert, 'cacert');
  const computeEndpoint = str(o.computeEndpoint, 'compute_endpoint_override');
  if (computeEndpoint !== undefined && !/^https?:\/\//i.test(computeEndpoint)) {
    throw new AppError('config', `compute_endpoint_override of ${where} is not an http(s) URL`);
  }
  return {
    name,
    authType,
    auth: a,
    regionName: str(o.regionName, 'region_name'),
    interface: iface,
    verify: o.verify,
    cacert: cacert ? resolvePath(o.cwd, cacert) : undefined,
    timeoutMs: o.timeoutMs,
    computeEndpoint,
    source: o.source,
  };
}

/** The CA bundle of a cloud as PEM text, read when the cloud is first used. */
export function caBundleOf(cloud: CloudConfig): string | undefined {
  if (cloud.caPem) return cloud.caPem;
  if (!cloud.cacert) return undefined;
  try {
    return readFileSync(cloud.cacert, 'utf8');
  } catch (err) {
    throw new AppError('config', `cacert ${cloud.cacert} of cloud '${cloud.name}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function isBooleanWord(v: string): boolean {
  return ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(v.trim().toLowerCase());
}

function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  // A list or mapping is not a yes (and String() of one whose YAML keys include toString would throw).
  return typeof v === 'string' && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}
