// clouds.yaml, secure.yaml and the OS_* variables: text and environments an administrator (or whoever wrote their
// files) controls. loadCloudConfigs reads files only, so each input is written to a scratch folder first.
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadCloudConfigs, type LoadedConfig } from '../../electron/openstack/clouds-config.ts';
import { AppError } from '../../electron/openstack/errors.ts';
import { expectTyped, holds, type FuzzTarget } from './harness.ts';
import { anyText, jsonish, mutatedText } from './mutate.ts';

/** One scratch folder per process: `cwd` holds the files under test, `empty` stands for home and /etc/openstack. */
let scratch: { cwd: string; empty: string } | undefined;
function folders(): { cwd: string; empty: string } {
  if (!scratch) {
    const root = mkdtempSync(join(tmpdir(), 'nova-console-fuzz-'));
    scratch = { cwd: join(root, 'cwd'), empty: join(root, 'empty') };
    mkdirSync(scratch.cwd);
    mkdirSync(scratch.empty);
    process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  }
  return scratch;
}

const isConfigError = (err: unknown) => err instanceof AppError && err.code === 'config' && err.message !== '';

/** What every cloud the loader hands out satisfies, whatever the files said. */
function checkLoaded(loaded: LoadedConfig): void {
  for (const c of loaded.clouds) {
    holds(typeof c.name === 'string', 'a cloud has a name');
    holds(/^https?:$/.test(new URL(c.auth.auth_url).protocol), 'auth_url is an http(s) URL');
    holds(c.authType === 'password' || c.authType === 'v3applicationcredential', 'the auth type is one the client speaks');
    holds(c.interface === undefined || ['public', 'internal', 'admin'].includes(c.interface), 'the interface is public, internal or admin');
    holds(c.timeoutMs === undefined || c.timeoutMs > 0, 'a timeout is positive');
    holds(typeof c.verify === 'boolean', 'verify is a boolean');
    for (const v of Object.values(c.auth)) holds(typeof v === 'string', 'auth values are strings');
  }
}

const CLOUD_FIELDS = ['auth', 'auth_url', 'username', 'password', 'project_name', 'project_id', 'user_domain_name', 'domain_name', 'tenant_name', 'auth_type', 'application_credential_id', 'application_credential_secret', 'application_credential_name', 'region_name', 'regions', 'interface', 'endpoint_type', 'verify', 'insecure', 'cacert', 'api_timeout', 'compute_endpoint_override', 'name', 'user_id'];
const CLOUD_STRINGS = ['https://keystone.example:5000/v3', 'http://10.0.0.1/identity', 'ftp://x', 'admin', 'public', 'internalURL', 'password', 'v3applicationcredential', 'application-credential', 'true', 'no', '/etc/ssl/ca.pem', 'RegionOne', '0', '-5', '30'];

/** A plausible cloud: mostly valid fields, any of them replaced by something odd. */
const cloudArb = fc.dictionary(fc.constantFrom(...CLOUD_FIELDS), jsonish(CLOUD_FIELDS, CLOUD_STRINGS, 2), { maxKeys: 6, noNullPrototype: true });
const cloudsDoc = fc.record({
  clouds: fc.dictionary(fc.oneof(fc.constantFrom('envvars', 'demo', 'prod', '__proto__'), fc.string({ maxLength: 6 })), cloudArb, { maxKeys: 2, noNullPrototype: true }),
});
const goodCloud = fc.record({
  auth: fc.record({
    auth_url: fc.constantFrom('https://keystone.example:5000/v3', 'http://10.0.0.1/identity'),
    username: fc.string({ minLength: 1, maxLength: 8 }),
    password: fc.string({ maxLength: 8 }),
    project_name: fc.string({ maxLength: 8 }),
  }),
  region_name: fc.constantFrom('RegionOne', 'r2'),
  interface: fc.constantFrom('public', 'internal', 'adminURL'),
});
const goodDoc = fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), goodCloud, { minKeys: 1, maxKeys: 2 }).map((clouds) => stringify({ clouds }));

const YAML_SYNTAX = ['\n', '  ', ': ', '- ', '&a ', '*a', '<<: *a', '!!str ', '!!binary ', '!!map ', '!!set ', '!custom ', '? ', '{', '}', '[', ']', ',', '"', "'", '#', '|', '>', '---\n', '...\n', '%YAML 1.1\n', '\t', '@', '`', '\\'];

/** Documents heavy with anchors and aliases (the YAML form of a decompression bomb), small as text. */
const aliasHeavy = fc.integer({ min: 2, max: 9 }).map((levels) => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\nclouds:\n  c:\n    auth: {auth_url: 'https://k/v3', username: *a${levels - 1}}\n`;
});

// Block style through the YAML library's writer, flow style as JSON (which is YAML, and cheaper to write).
const yamlText = fc.oneof(
  { weight: 2, arbitrary: cloudsDoc.map((d) => stringify(d)) },
  { weight: 1, arbitrary: cloudsDoc.map((d) => JSON.stringify(d)) },
  { weight: 3, arbitrary: mutatedText(goodDoc, YAML_SYNTAX) },
  { weight: 1, arbitrary: aliasHeavy },
  { weight: 1, arbitrary: anyText(200) },
);

interface YamlInput {
  clouds: string;
  secure?: string;
  env: Record<string, string>;
}

export const cloudsYaml: FuzzTarget<YamlInput> = {
  name: 'clouds-yaml',
  arbitrary: fc.record(
    {
      clouds: yamlText,
      secure: fc.option(yamlText, { nil: undefined, freq: 3 }),
      env: fc.dictionary(fc.constantFrom('OS_CLOUD', 'OS_AUTH_URL', 'OS_USERNAME'), fc.constantFrom('prod', 'https://k/v3', 'u', ''), { maxKeys: 2, noNullPrototype: true }),
    },
    { requiredKeys: ['clouds', 'env'] },
  ),
  check(input) {
    const { cwd, empty } = folders();
    writeFileSync(join(cwd, 'clouds.yaml'), input.clouds);
    if (input.secure === undefined) rmSync(join(cwd, 'secure.yaml'), { force: true });
    else writeFileSync(join(cwd, 'secure.yaml'), input.secure);
    const r = expectTyped(() => loadCloudConfigs({ cwd, home: empty, siteDir: empty, env: { ...input.env } }), isConfigError);
    if ('value' in r) checkLoaded(r.value);
  },
};

const OS_KEYS = ['OS_AUTH_URL', 'OS_USERNAME', 'OS_USER_ID', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_PROJECT_ID', 'OS_TENANT_NAME', 'OS_USER_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_ID', 'OS_DOMAIN_NAME', 'OS_AUTH_TYPE', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_NAME', 'OS_APPLICATION_CREDENTIAL_SECRET', 'OS_REGION_NAME', 'OS_INTERFACE', 'OS_ENDPOINT_TYPE', 'OS_INSECURE', 'OS_CACERT', 'OS_CLOUD', 'OS_CLOUD_NAME', 'OS_CLIENT_CONFIG_FILE', 'OS_CLIENT_SECURE_FILE', 'OS_TEST_X', 'OS_', 'PATH'];
const OS_VALUES = ['https://keystone.example/v3', 'http://[::1]:5000', 'keystone', 'file:///etc', '', ' ', 'admin', 'password', 'v3applicationcredential', 'token', 'publicURL', 'internal', 'true', '0', 'prod', 'envvars', 'clouds.yaml', 'missing.yaml', '.', '..'];

export const osEnv: FuzzTarget<Record<string, string>> = {
  name: 'os-env',
  arbitrary: fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...OS_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `OS_${s}`) }), fc.oneof(fc.constantFrom(...OS_VALUES), anyText(30)), {
    maxKeys: 10,
    noNullPrototype: true,
  }),
  check(env) {
    // The files of the clouds-yaml target may still be in the scratch folder: this target reads none.
    const { empty } = folders();
    const r = expectTyped(() => loadCloudConfigs({ cwd: empty, home: empty, siteDir: empty, env: { ...env } }), isConfigError);
    if (!('value' in r)) return;
    checkLoaded(r.value);
    holds(r.value.selected === (env.OS_CLOUD?.trim() || undefined), 'OS_CLOUD is the selected cloud');
    holds(r.value.clouds.length <= 1, 'the environment makes at most one cloud');
  },
};

export const targets = [cloudsYaml, osEnv];
