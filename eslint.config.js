// ESLint for the whole repository (flat config). Type-checked rules from typescript-eslint catch promises nobody
// awaits and switches that miss a case; eslint-plugin-boundaries keeps the import rules of the architecture
// (README, "Layout") for every import form: static, type-only, re-export, dynamic import(), require(),
// `import x = require()` and `import('x').T`.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Where code runs, and so what it may import. The first pattern that matches a file decides its element. */
const ELEMENTS = [
  // Imported by the page and the services alike: the contract, and protocol constants that need neither runtime.
  { type: 'common', pattern: 'electron/common/**' },
  // The only files that may import Electron.
  { type: 'electron-shell', pattern: ['electron/main/**', 'electron/preload/**'] },
  // The embedded demo (ships in the app; also the test double): shares no code with the client it tests.
  { type: 'demo', pattern: 'electron/demo/**' },
  // The client side of the seam to OpenStack, RDP servers and console proxies / VNC servers (the relay), and the
  // plain networking the gateway and the relay share (electron/net).
  { type: 'client', pattern: ['electron/openstack/**', 'electron/rdp/**', 'electron/relay/**', 'electron/net/**'] },
  // Everything else under electron/: the API's transports, app wiring, the command line, browser mode.
  { type: 'services', pattern: 'electron/**' },
  { type: 'page', pattern: 'renderer/**' },
  { type: 'tools', pattern: ['test/**', 'bench/**', 'scripts/**', 'bin/**'] },
].map((e) => ({ ...e, partialMatch: false }));

const EVERYTHING_BUT_THE_SHELL = ['common', 'demo', 'client', 'services', 'page', 'tools'];
const to = (types) => ({ to: { element: { type: types } } });

/** The architecture's import rules; exported so a test can show that each import form is caught. */
export const importBoundaries = {
    files: ['**/*.{ts,tsx,mjs,js}'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/files': [{ category: 'contract', pattern: 'electron/common/contract.ts' }],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import', 'require'],
      'boundaries/additional-dependency-nodes': [
        { selector: 'TSExternalModuleReference > Literal', kind: 'value', name: 'import-equals' },
        { selector: 'TSImportType > Literal', kind: 'type', name: 'import-type-query' },
      ],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'allow',
          checkAllOrigins: true,
          policies: [
            {
              from: { element: { type: 'page' } },
              disallow: [to(['electron-shell', 'demo', 'client', 'services'])],
              message: 'The page reaches the services only through the ConsoleApi: it may import electron/common/, nothing else under electron/.',
            },
            {
              from: { element: { type: 'page' } },
              disallow: [{ to: { file: { categories: 'contract' } }, dependency: { kind: 'value' } }],
              message: "The page imports only the contract's types (the transports carry its values).",
            },
            {
              from: { element: { type: 'demo' } },
              disallow: [to('client')],
              message: 'The demo shares no code with the client it tests (electron/openstack, electron/rdp, electron/relay, electron/net).',
            },
            {
              from: { element: { type: 'client' } },
              disallow: [to('demo')],
              message: 'The client never imports the demo that tests it.',
            },
            {
              from: { element: { type: EVERYTHING_BUT_THE_SHELL } },
              disallow: [{ to: { module: { source: 'electron' } } }],
              message: 'Only electron/main/ and electron/preload/ import Electron; everything else runs under plain Node.',
            },
          ],
        },
      ],
    },
  };

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'test-output/', 'scripts/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One project per runtime (see tsconfig.base.json); each file is checked with the libraries it runs with.
        project: ['renderer/tsconfig.json', 'electron/tsconfig.json', 'electron/preload/tsconfig.json', 'tsconfig.pages.json', 'tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `async` without `await` is how a handler or a service method turns a synchronous throw into a rejection,
      // so callers see one failure path; the rule would push those throws back out of the promise.
      '@typescript-eslint/require-await': 'off',
      // A variable a closure reads, assigned once the thing it names exists, stays `let` (declared before use).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      // Tests and benchmarks read what real servers answer (JSON, page.evaluate results) as loosely typed data and
      // assert on it; typing every answer would restate the product's own types in the code that checks them.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['renderer/**/*.tsx', 'renderer/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  importBoundaries,
  {
    // Plain JavaScript (launchers, build scripts, this file) belongs to no TypeScript project.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
);
