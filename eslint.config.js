// @ts-check
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Layering (DESIGN.md): a folder is a process or a layer, and these rules say who may import whom. */
const coreMayNotImport = {
  patterns: [
    {
      group: ['electron', 'electron/*'],
      message:
        'src-main/core runs in the CLI and the HTTP server too: it must not import electron. Put Electron code in src-main/electron and pass it in (see WorkerLauncher).',
    },
    {
      group: ['**/electron/**', '**/server/**', '**/cli/**'],
      message: 'src-main/core is the layer the shells build on: it must not import a shell (electron, server, cli).',
    },
  ],
};

const rendererMayNotImport = {
  patterns: [
    {
      group: ['**/src-main/**'],
      allowTypeImports: true,
      message: 'The renderer runs without Node access: it may import the contract with `import type` only.',
    },
    {
      group: ['node:*', 'electron', 'better-sqlite3', '@tensorflow/*'],
      message: 'The renderer runs without Node access and must not load Node or native modules.',
    },
  ],
};

const seededRandomOnly = {
  selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
  message: 'Math.random is unseeded: use the seeded generator in core/random.ts so runs are reproducible.',
};

/** CLI output carries names from outside (imports, other users' runs): it goes through cli/format.ts. */
const cliPrintsThroughFormat = [
  {
    selector: "CallExpression[callee.object.name='console']",
    message:
      'The CLI prints through src-main/cli/format.ts (print, printError, printJson, printData), which keeps control characters in run names and errors from acting on the terminal.',
  },
  {
    selector: "CallExpression[callee.property.name='write'][callee.object.property.name=/^std(out|err)$/]",
    message:
      'The CLI prints through src-main/cli/format.ts (print, printError, printJson, printData), which keeps control characters in run names and errors from acting on the terminal.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      '.ci/.node/**',
      'test-results/**',
      'playwright-report/**',
      'e2e/artifacts/**',
      'bench/results/**',
      '**/__fixtures__/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': ['error', seededRandomOnly],
    },
  },
  {
    files: ['src-main/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreMayNotImport] },
  },
  {
    files: ['src-main/cli/**/*.ts'],
    ignores: ['src-main/cli/format.ts', 'src-main/cli/**/*.test.ts'],
    rules: { 'no-restricted-syntax': ['error', seededRandomOnly, ...cliPrintsThroughFormat] },
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.svelte', 'src-renderer/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      'no-restricted-imports': ['error', rendererMayNotImport],
      // Value imports of the contract would pull zod and Node code into the page: types only.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src-main/**'], allowTypeImports: true, message: 'Import the contract with `import type` only.' }] },
      ],
    },
  },
);
